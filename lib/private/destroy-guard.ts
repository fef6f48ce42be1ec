/**
 * The registry's destroy guard (`lambdas/rotation/destroy-guard.ts`): an `aws_lambda_invocation` of the rotation
 * function with lifecycle scope CRUD that depends on every resource of the registry and of every part registered with it
 * (wherever its scope), so Terraform destroys it before
 * any of them; its destroy fails while `deletionProtection` is on, and the destroy stops with nothing deleted.
 */
import type { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { LambdaInvocation } from '@cdktf/provider-aws/lib/lambda-invocation';
import { Lazy, TerraformResource } from 'cdktf';
import type { Construct } from 'constructs';
import type { RegistryFunction } from './registry-function';

export interface DestroyGuardProps {
  readonly rotationFunction: RegistryFunction;
  readonly table: DynamodbTable;
  readonly deletionProtection: boolean;
  /**
   * Every part registered with the registry (clients, routes, data routes, connections), read at synth: a part may be
   * created in another scope (`new ExternalClient(stack, 'Outside', { registry })`), and its resources are guarded too.
   */
  readonly registeredParts: () => readonly Construct[];
}

/** The guard, created in `registry`; what it guards is collected at synth, so later clients, routes and connections count. */
export function destroyGuard(registry: Construct, props: DestroyGuardProps): LambdaInvocation {
  const guard = new LambdaInvocation(registry, 'DestroyGuard', {
    functionName: props.rotationFunction.function.functionName,
    input: JSON.stringify({ action: 'guard-destroy', table: props.table.name, deletionProtection: props.deletionProtection }),
    // Invoked on create, update and destroy (with `tf.action`); only the destroy can fail.
    lifecycleScope: 'CRUD',
  });
  const guarded = (): TerraformResource[] => {
    const nodes = new Set([registry, ...props.registeredParts()].flatMap((scope) => scope.node.findAll()));
    return [...nodes].filter((n): n is TerraformResource => n instanceof TerraformResource && n !== guard);
  };
  // `depends_on` in JSON takes bare addresses.
  guard.addOverride(
    'depends_on',
    Lazy.listValue({ produce: () => guarded().map((r) => `${r.terraformResourceType}.${r.friendlyUniqueId}`) }),
  );
  return guard;
}
