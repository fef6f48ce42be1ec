/**
 * The rotation function's own events (Terraform's invocations), told apart from Secrets Manager's rotation steps by
 * their `action`.
 */

/** A guard for the events whose `action` is `action`. */
export function isActionEvent<E extends { readonly action: string }>(action: E['action']): (event: unknown) => event is E {
  return (event: unknown): event is E => typeof event === 'object' && event !== null && (event as { action?: unknown }).action === action;
}
