/** Shared fixtures of the construct tests. */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { type App, TerraformStack, Testing } from 'cdktf';
import { OAuthRegistry, type OAuthRegistryProps } from '../../lib';

export interface Fixture {
  readonly app: App;
  readonly stack: TerraformStack;
  readonly registry: OAuthRegistry;
}

/** A stack with an AWS provider and one registry. */
export function fixture(props: OAuthRegistryProps = {}, app: App = Testing.app()): Fixture {
  const stack = new TerraformStack(app, 'Test');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  const registry = new OAuthRegistry(stack, 'Registry', props);
  return { app, stack, registry };
}

/** The synthesized configuration as JSON (aspects applied, validations run). */
export function synthJson(stack: TerraformStack): any {
  return JSON.parse(Testing.synth(stack, true));
}

/** Resources of one type, by logical id. */
export function resources(tf: any, type: string): Record<string, any> {
  return tf.resource?.[type] ?? {};
}

/** The one resource of `type` whose logical id contains `fragment`. */
export function resource(tf: any, type: string, fragment: string): any {
  const matches = Object.entries(resources(tf, type)).filter(([id]) => id.includes(fragment));
  if (matches.length !== 1) throw new Error(`expected one ${type} matching "${fragment}", got ${matches.length}`);
  return matches[0][1];
}

/** The parsed inline policy of the function whose logical id contains `fragment`. */
export function policyOf(
  tf: any,
  fragment: string,
): { Statement: Array<{ Action: string[]; Resource: string[]; Sid?: string; Condition?: any }> } {
  return JSON.parse(resource(tf, 'aws_iam_role_policy', `${fragment}_Policy`).policy);
}

/** Every `type.name` (or `data.type.name`) a block depends on directly: its `depends_on` and the `${…}` references in it. */
function directDependencies(config: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const [, expression] of value.matchAll(/\$\{([^}]*)\}/g)) {
        for (const [ref] of expression.matchAll(/\b(?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+/g)) found.add(ref);
      }
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(visit);
  };
  visit(config);
  for (const dependency of (config as { depends_on?: string[] } | undefined)?.depends_on ?? []) {
    // Terraform takes only a bare reference there; `${…}` fails `terraform init` ("A single static variable reference").
    if (!/^(data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+$/.test(dependency))
      throw new Error(`depends_on entry is not a bare reference: ${dependency}`);
    found.add(dependency);
  }
  return found;
}

/** Every resource and data source `address` (`type.name`) transitively depends on, in the synthesized graph. */
export function ancestorsOf(tf: any, address: string): Set<string> {
  const block = (addr: string): unknown => {
    const [first, ...rest] = addr.split('.');
    return first === 'data' ? tf.data?.[rest[0]]?.[rest[1]] : tf.resource?.[first]?.[rest[0]];
  };
  if (block(address) === undefined) throw new Error(`no ${address} in the configuration`);
  const seen = new Set<string>();
  const pending = [...directDependencies(block(address))];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...directDependencies(block(next)));
  }
  return seen;
}

/** The `type.name` address of the one resource of `type` whose logical id contains `fragment`. */
export function addressOf(tf: any, type: string, fragment: string): string {
  const matches = Object.keys(resources(tf, type)).filter((id) => id.includes(fragment));
  if (matches.length !== 1) throw new Error(`expected one ${type} matching "${fragment}", got ${matches.length}`);
  return `${type}.${matches[0]}`;
}
