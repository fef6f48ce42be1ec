/** Shared fixtures of the construct tests. */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack, Testing } from 'cdktf';
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
  return matches[0]![1];
}

/** The parsed inline policy of the function whose logical id contains `fragment`. */
export function policyOf(
  tf: any,
  fragment: string,
): { Statement: Array<{ Action: string[]; Resource: string[]; Sid?: string; Condition?: any }> } {
  return JSON.parse(resource(tf, 'aws_iam_role_policy', `${fragment}_Policy`).policy);
}
