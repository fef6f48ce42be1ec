/**
 * What the registry's declarations imply, computed the same way by the constructs (environment, authorizers) and the
 * handlers (discovery, local mode's authorizer): the auth methods, scopes and grant types in use, and audiences.
 */
import {
  SUPPORTED_AUTH_METHODS,
  SUPPORTED_GRANT_TYPES,
  type ClientAuthMethod,
  type ClientRegistration,
  type RegistryManifest,
  type RouteRegistration,
  type SupportedGrantType,
} from './manifest';

/** The authentication methods `clients` use, in `SUPPORTED_AUTH_METHODS` order (discovery lists exactly these). */
export const authMethodsUsed = (clients: readonly Pick<ClientRegistration, 'authMethod'>[]): ClientAuthMethod[] =>
  SUPPORTED_AUTH_METHODS.filter((method) => clients.some((c) => c.authMethod === method));

/** Sorted union of every client's scopes: discovery's `scopes_supported`. */
export const scopesUsed = (clients: readonly Pick<ClientRegistration, 'scopes'>[]): string[] =>
  [...new Set(clients.flatMap((c) => c.scopes))].sort();

/**
 * The audiences one route accepts: its own `audiences` when declared, else only the registry's (`manifest.audience`,
 * else `issuer`). Never the union of the clients' audiences.
 */
export const routeAudiences = (
  manifest: Pick<RegistryManifest, 'audience'>,
  issuer: string,
  route: Pick<RouteRegistration, 'audiences'>,
): readonly string[] => (route.audiences !== undefined ? route.audiences : [manifest.audience ?? issuer]);

/** The `aud` a client's access tokens carry: its own `audience`, else the registry's, else the issuer. */
export const clientAudience = (
  manifest: Pick<RegistryManifest, 'audience'>,
  issuer: string,
  client: Pick<ClientRegistration, 'audience'>,
): string => client.audience || (manifest.audience ?? issuer);

/**
 * Whether tokens with `aud` and `scopes` open a route accepting `audiences` and asking for `routeScopes`: an audience
 * it accepts and, when it names scopes, one of them (what API Gateway's JWT authorizer checks).
 */
export const opensRoute = (
  token: { readonly aud: string; readonly scopes: readonly string[] },
  route: { readonly audiences: readonly string[]; readonly scopes: readonly string[] },
): boolean => route.audiences.includes(token.aud) && (route.scopes.length === 0 || route.scopes.some((s) => token.scopes.includes(s)));

/** The grant types some client uses, in SUPPORTED_GRANT_TYPES order (discovery lists exactly these). */
export const grantTypesUsed = (clients: readonly Pick<ClientRegistration, 'grantTypes'>[]): SupportedGrantType[] =>
  SUPPORTED_GRANT_TYPES.filter((grant) => clients.some((c) => c.grantTypes.includes(grant)));
