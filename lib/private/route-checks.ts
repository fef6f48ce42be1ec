/**
 * What every route of the registry's API behind its JWT authorizer checks, whoever serves it (a handler or an AWS
 * service): its path is not one the registry serves itself, its scopes and audiences are valid, and some client can
 * obtain one of its scopes.
 */
import { Token } from 'cdktf';
import type { Construct } from 'constructs';
import { opensRoute } from '../../lambdas/shared/manifest-queries';
import { RESERVED_PATH_PREFIXES } from '../../lambdas/shared/routes';
import { scopeName, type ScopeLike } from '../client-options';
import type { IOAuthRegistry } from '../registry-interface';
import { vacantScope } from './unique-child';
import { parseRouteKey, validateScope, type ParsedRouteKey } from './validate';

/** `scope`, when it has no child `id` yet; else an error naming the clash (route keys, whatever serves them, are unique). */
export function vacantRouteScope<T extends Construct>(scope: T, id: string, routeKey: string): T {
  return vacantScope(scope, id, (existing) => {
    const other = (existing as { routeKey?: string }).routeKey;
    // Two different keys can share a construct id (`/items/{id}` and `/items/id` are both `…ItemsId`).
    return other !== undefined && other !== routeKey
      ? `routes "${other}" and "${routeKey}" would both be construct ${existing.node.path}; rename one path`
      : `duplicate route "${routeKey}" (${existing.node.path} is declared twice; route keys must be unique)`;
  });
}

/** The route key, parsed; throws when its path is under one the registry serves itself. */
export function parseAuthorizedRouteKey(routeKey: string): ParsedRouteKey {
  const parsed = parseRouteKey(routeKey);
  if (RESERVED_PATH_PREFIXES.some((prefix) => `${parsed.path}/`.startsWith(prefix))) {
    throw new Error(`route "${routeKey}" is under a path the registry serves itself (${RESERVED_PATH_PREFIXES.join(', ')})`);
  }
  return parsed;
}

/** A route's any-of scopes: valid, deduplicated, at least one. */
export function routeScopes(where: string, scopes: readonly ScopeLike[]): string[] {
  const names = [...new Set((scopes ?? []).map((s) => validateScope(where, scopeName(s))))];
  if (names.length === 0) throw new Error(`${where}: scopes must name at least one scope, got []`);
  return names;
}

/** A route's `audiences`: at least one, none empty, deduplicated (tokens pass). */
export function validateAudiences(where: string, audiences: readonly string[]): string[] {
  if (!Array.isArray(audiences) || audiences.length === 0) {
    throw new Error(
      `${where}: audiences must name at least one audience (omit it for the registry's own), got ${JSON.stringify(audiences)}`,
    );
  }
  for (const audience of audiences) {
    if (typeof audience !== 'string' || (!Token.isUnresolved(audience) && audience.trim().length === 0)) {
      throw new Error(`${where}: audiences must be non-empty strings, got ${JSON.stringify(audiences)}`);
    }
  }
  return [...new Set(audiences)];
}

/**
 * Fails synth when no external client of `registry` can call the route: none can obtain any of `scopes` (every call a
 * 403), or none of those that can gets tokens for an audience the route accepts (`audiences`, else the registry's own:
 * every call a 401).
 */
export function requireCallableRoute(
  route: Construct,
  registry: IOAuthRegistry,
  where: string,
  scopes: readonly string[],
  audiences: readonly string[] | undefined,
): void {
  route.node.addValidation({
    validate: () => {
      // Inactive clients count: deactivating a partner (active: false) must still deploy.
      const clients = registry.externalClients.map((c) => c.registration);
      const granted = new Set(clients.flatMap((c) => c.scopes));
      if (!scopes.some((s) => granted.has(s))) {
        const known = [...granted].sort().join(' ') || 'none';
        return [
          `${where}: no external client of the registry can obtain any of its scopes ${JSON.stringify(scopes)} ` +
            `(the clients' scopes: ${known}), so every call would be a 403; grant one to a client, or fix the route's scopes`,
        ];
      }
      // A token opens the route only if its `aud` is one the route accepts (its audiences, else the registry's own).
      const accepted = audiences ?? [registry.audience];
      const audienceOf = (c: (typeof clients)[number]) => c.audience ?? registry.audience;
      if ([...accepted, ...clients.map(audienceOf)].some((a) => Token.isUnresolved(a) && a !== registry.audience)) return [];
      if (clients.some((c) => opensRoute({ aud: audienceOf(c), scopes: c.scopes }, { audiences: accepted, scopes }))) return [];
      const named = (a: string) => (a === registry.audience ? "the registry's own audience" : JSON.stringify(a));
      const withScopes = clients.filter((c) => c.scopes.some((s) => scopes.includes(s)));
      return [
        `${where}: no external client can call it: it accepts tokens for ${accepted.map(named).join(', ')}, and the clients ` +
          `with its scopes get tokens for ${[...new Set(withScopes.map(audienceOf))].map(named).join(', ')} ` +
          `(${withScopes.map((c) => c.name).join(', ')}), so every call would be a 401; add that audience to the route's ` +
          "audiences, or give a client the route's audience",
      ];
    },
  });
}
