/**
 * Resource indicators (RFC 8707): a client names the one resource it wants a token for, and the token's `aud` is
 * exactly that resource. Only registered resources are known (the registry's audience, each client's own, the
 * audiences routes declare, each MCP server's URL); anything else, or more than one, is `invalid_target`. A code or
 * refresh token is bound to the resource granted at authorization: a later request may name that resource again,
 * never another (no widening).
 */
import type { AuthorizationServerConfig } from '../shared/config';
import { InvalidTargetError } from '../shared/errors';
import type { ClientRegistration } from '../shared/manifest';
import { declaredResources } from '../shared/manifest-queries';

export interface ResourceIndicators {
  /** The `aud` of `client`'s tokens when it names no resource: its own audience, else the registry's. */
  defaultAudience(client: Pick<ClientRegistration, 'audience'>): string;
  /** The `aud` for a request naming `requested` (or none); throws `invalid_target` for a resource not registered. */
  audienceFor(client: Pick<ClientRegistration, 'audience'>, requested: string | undefined): string;
  /**
   * The `aud` for a request on a grant bound to `granted` (undefined: the default audience at authorization time):
   * `requested` may name that resource again, nothing else.
   */
  audienceForGrant(client: Pick<ClientRegistration, 'audience'>, granted: string | undefined, requested: string | undefined): string;
}

export function createResourceIndicators(
  config: Pick<AuthorizationServerConfig, 'issuer' | 'audience' | 'resources' | 'mcpServers'>,
): ResourceIndicators {
  const registryAudience = config.audience ?? config.issuer;
  const registered = new Set([
    ...declaredResources({ audience: registryAudience, routes: [], mcpServers: config.mcpServers ?? [] }, config.issuer),
    ...(config.resources ?? []),
  ]);
  const defaultAudience = (client: Pick<ClientRegistration, 'audience'>) => client.audience || registryAudience;
  const audienceFor = (client: Pick<ClientRegistration, 'audience'>, requested: string | undefined): string => {
    if (requested === undefined) return defaultAudience(client);
    if (!registered.has(requested) && requested !== client.audience) {
      throw new InvalidTargetError('resource is not a resource of this registry');
    }
    return requested;
  };
  return {
    defaultAudience,
    audienceFor,
    audienceForGrant(client, granted, requested) {
      const audience = granted ?? defaultAudience(client);
      if (requested !== undefined && audienceFor(client, requested) !== audience) {
        throw new InvalidTargetError('resource was not granted at authorization');
      }
      return audience;
    },
  };
}
