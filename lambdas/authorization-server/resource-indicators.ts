/**
 * Resource indicators (RFC 8707): a client names the one resource it wants a token for, and the token's `aud` is
 * exactly that resource. Registered resources are the registry's audience, the audiences routes declare and each MCP
 * server's URL; anything else, or more than one, is `invalid_target`. Which of them a client may obtain is policy (RFC
 * 8707 §2: "unacceptable per policy" is `invalid_target` too): its own audience (the client's, else the registry's) and
 * any MCP server (scopes still decide what it may do there). Another audience stays the operator's decision, as before
 * resource indicators: a client never chooses its way onto another API's routes, even with a scope of the same name. A
 * runtime-registered client (a client metadata document or a dynamic registration: anyone can make one) may obtain MCP
 * server URLs only, never the registry's audience: naming none, it gets the only MCP server when there is exactly one,
 * else `invalid_target`. A code or refresh token is bound to the resource granted at authorization: a later request may
 * name that resource again, never another (no widening).
 */
import type { AuthorizationServerConfig } from '../shared/config';
import { InvalidTargetError } from '../shared/errors';
import type { ClientRegistration } from '../shared/manifest';
import { declaredResources, mcpServerUrl } from '../shared/manifest-queries';
import { isClientIdUrl } from './client-metadata-documents';
import { isRegisteredClientId } from './endpoints/register';

type TokenClient = Pick<ClientRegistration, 'clientId' | 'audience'>;

/** Whether `clientId` was registered at runtime (by anyone), not declared by the operator: decided by its form. */
export const isRuntimeRegisteredClientId = (clientId: string): boolean => isClientIdUrl(clientId) || isRegisteredClientId(clientId);

export interface ResourceIndicators {
  /**
   * The `aud` of `client`'s tokens when it names no resource: its own audience, else the registry's; for a
   * runtime-registered client the only MCP server (`invalid_target` when there is not exactly one).
   */
  defaultAudience(client: TokenClient): string;
  /** The `aud` for a request naming `requested` (or none); throws `invalid_target` for a resource not registered. */
  audienceFor(client: TokenClient, requested: string | undefined): string;
  /**
   * The `aud` for a request on a grant bound to `granted` (undefined: the default audience at authorization time):
   * `requested` may name that resource again, nothing else.
   */
  audienceForGrant(client: TokenClient, granted: string | undefined, requested: string | undefined): string;
  /** The `resourceName` of the MCP server at `url`, shown to people; undefined for any other resource. */
  mcpServerName(url: string): string | undefined;
}

export function createResourceIndicators(
  config: Pick<AuthorizationServerConfig, 'issuer' | 'audience' | 'resources' | 'mcpServers'>,
): ResourceIndicators {
  const registryAudience = config.audience ?? config.issuer;
  const registered = new Set([
    ...declaredResources({ audience: registryAudience, routes: [], mcpServers: config.mcpServers ?? [] }, config.issuer),
    ...(config.resources ?? []),
  ]);
  const mcpServerNames = new Map((config.mcpServers ?? []).map((server) => [mcpServerUrl(config.issuer, server), server.resourceName]));
  const mcpServers = new Set(mcpServerNames.keys());
  const defaultAudience = (client: TokenClient): string => {
    if (!isRuntimeRegisteredClientId(client.clientId)) return client.audience || registryAudience;
    if (mcpServers.size === 1) return [...mcpServers][0];
    throw new InvalidTargetError('resource is required: name the MCP server this client wants a token for');
  };
  const audienceFor = (client: TokenClient, requested: string | undefined): string => {
    if (requested === undefined) return defaultAudience(client);
    if (mcpServers.has(requested)) return requested;
    if (!isRuntimeRegisteredClientId(client.clientId) && requested === defaultAudience(client)) return requested;
    if (registered.has(requested)) throw new InvalidTargetError('resource is not one this client may obtain tokens for');
    throw new InvalidTargetError('resource is not a resource of this registry');
  };
  return {
    defaultAudience,
    audienceFor,
    mcpServerName: (url) => mcpServerNames.get(url),
    audienceForGrant(client, granted, requested) {
      const audience = granted ?? defaultAudience(client);
      if (requested !== undefined && audienceFor(client, requested) !== audience) {
        throw new InvalidTargetError('resource was not granted at authorization');
      }
      return audience;
    },
  };
}
