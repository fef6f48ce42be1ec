import { DefaultTokenResolver, StringConcat, Tokenization } from 'cdktf';
import type { IConstruct } from 'constructs';

const RESOLVER = new DefaultTokenResolver(new StringConcat());

/** Resolves tokens in `value` to their Terraform form (`${aws_x.y.attr}`), as the synthesized JSON shows them. */
export function resolveTokens<T>(scope: IConstruct, value: T): T {
  return Tokenization.resolve(value, { scope, preparing: false, resolver: RESOLVER }) as T;
}
