/** Refuses a second child of the same id with the README's message, before constructs' generic "already a Construct". */
import type { Construct } from 'constructs';

/** `scope`, when it has no child `id` yet; else throws `message(existing path)`. */
export function vacantScope<T extends Construct>(scope: T, id: string, message: (existingPath: string) => string): T {
  const existing = scope.node.tryFindChild(id);
  if (existing) throw new Error(message(existing.node.path));
  return scope;
}
