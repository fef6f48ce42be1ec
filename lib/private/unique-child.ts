/** Refuses a second child of the same id with the README's message, before constructs' generic "already a Construct". */
import type { Construct } from 'constructs';

/** `scope`, when it has no child `id` yet; else throws `message(the existing child)`. */
export function vacantScope<T extends Construct>(scope: T, id: string, message: (existing: Construct) => string): T {
  const existing = scope.node.tryFindChild(id);
  if (existing) throw new Error(message(existing));
  return scope;
}
