/**
 * Checks of the whole registry that can only run once every client and route is declared (at synth): duplicate
 * client names, client ids and route keys, and a signing-key schedule that could not keep its windows.
 */
import { Token } from 'cdktf';
import type { Construct } from 'constructs';
import { CACHE_TTL_SECS } from '../../lambdas/shared/defaults';
import { GATEWAY_JWKS_CACHE_SECS, keyScheduleProblems, longestAccessTokenTtlSecs } from '../../lambdas/shared/key-schedule';
import type { ExternalClient } from '../external-client';
import type { OAuthRegistry } from '../oauth-registry';
import { outputName } from './outputs';

/** Every problem of the declared clients and routes, as messages. */
export function registryProblems(registry: OAuthRegistry): string[] {
  return [...duplicates(registry), ...keyScheduleProblemsOf(registry)];
}

function duplicates(registry: OAuthRegistry): string[] {
  const errors: string[] = [];
  const byName = new Map<string, ExternalClient>();
  const byOutput = new Map<string, ExternalClient>();
  const byClientId = new Map<string, ExternalClient>();
  for (const client of registry.externalClients) {
    const { name, clientId } = client.registration;
    const sameName = byName.get(name);
    if (sameName) {
      errors.push(
        `duplicate external client name "${name}" (${sameName.node.path} and ${client.node.path}): ` +
          `both would use secret "${registry.namePrefix}/clients/${name}"`,
      );
    } else {
      byName.set(name, client);
      const output = outputName(registry.namePrefix, `client-${name}-id`);
      const sameOutput = byOutput.get(output);
      if (sameOutput) {
        errors.push(
          `external clients "${sameOutput.registration.name}" and "${name}" would both have the output "${output}" ` +
            '(Terraform names allow only letters, digits, "_" and "-"); rename one',
        );
      } else byOutput.set(output, client);
    }
    if (clientId.startsWith('dcr-')) errors.push(`clientId "${clientId}": ids starting with "dcr-" are for dynamic registrations`);
    const sameId = byClientId.get(clientId);
    if (sameId) {
      errors.push(`duplicate clientId "${clientId}" (${sameId.node.path} and ${client.node.path})`);
    } else byClientId.set(clientId, client);
  }
  const routeKeys = new Map<string, Construct>();
  const declared = [
    ...registry.protectedRoutes.map((route) => [route.routeKey, route] as const),
    ...registry.mcpServers.flatMap((server) => server.routeRegistrations.map((r) => [r.routeKey, server] as const)),
  ];
  for (const [routeKey, owner] of declared) {
    const same = routeKeys.get(routeKey);
    if (same) errors.push(`duplicate route "${routeKey}" (${same.node.path} and ${owner.node.path})`);
    else routeKeys.set(routeKey, owner);
  }
  return errors;
}

/**
 * The signing-key schedule (lambdas/shared/key-schedule.ts) must keep both windows: a key published at least API
 * Gateway's JWKS cache before it signs, and kept as long as the tokens it signed live after it stops.
 */
function keyScheduleProblemsOf(registry: OAuthRegistry): string[] {
  const clients = registry.externalClients.map((c) => c.registration);
  if ([registry.accessTokenTtlSecs, ...clients.map((c) => c.accessTokenTtlSecs)].some((v) => Token.isUnresolved(v))) return [];
  return keyScheduleProblems({
    rotationDays: registry.signingKeyRotationDays,
    longestTokenTtlSecs: longestAccessTokenTtlSecs({ accessTokenTtlSecs: registry.accessTokenTtlSecs, clients }),
    prePublishSecs: GATEWAY_JWKS_CACHE_SECS,
    cacheTtlSecs: CACHE_TTL_SECS,
  });
}
