/**
 * The registry's destroy guard: an `aws_lambda_invocation` (lifecycle scope CRUD) that depends on every resource of
 * the registry, so Terraform destroys it first. Terraform invokes the rotation function with the guard's input and
 * `tf.action` (`create`, `update`, `delete`); on `delete` with deletion protection on, this fails, and the destroy
 * stops before anything of the registry is deleted. DynamoDB's deletion protection alone would fail only the table's
 * own delete, which Terraform runs last, after the registrations and secrets are gone.
 */
import { isActionEvent } from './action-event';

export interface DestroyGuardEvent {
  readonly action: 'guard-destroy';
  /** The registry's table, named in the refusal. */
  readonly table: string;
  /** The registry's `deletionProtection`, as last applied. */
  readonly deletionProtection: boolean;
  /** What Terraform is doing to the guard (added by the provider with lifecycle scope CRUD). */
  readonly tf?: { readonly action?: string };
}

export interface DestroyGuardResult {
  readonly table: string;
  readonly deletionProtection: boolean;
}

export const isDestroyGuardEvent = isActionEvent<DestroyGuardEvent>('guard-destroy');

/** Lets Terraform create and update the guard; refuses its destroy while the registry's deletion protection is on. */
export function guardDestroy(event: DestroyGuardEvent): Promise<DestroyGuardResult> {
  if (event.tf?.action === 'delete' && event.deletionProtection !== false) {
    return Promise.reject(
      new Error(
        `the OAuth registry with table ${event.table} has deletionProtection on, so nothing of it was destroyed: ` +
          'set deletionProtection: false and apply, then destroy. The same refusal stops a change that replaces or ' +
          'removes this guard (a new function name, a changed construct id): apply with deletionProtection: false, ' +
          'then the change, then turn it on again (or `terraform state rm` the guard; see README, Destroying)',
      ),
    );
  }
  return Promise.resolve({ table: event.table, deletionProtection: event.deletionProtection });
}
