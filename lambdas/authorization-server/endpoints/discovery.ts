/** Authorization server metadata (RFC 8414), served at both well-known paths. */
import type { AuthorizationServerConfig } from '../../shared/config';
import { publicJsonResponse, type RouteHandler } from '../../shared/http';
import { ASSERTION_SIGNING_ALGORITHMS, SUPPORTED_AUTH_METHODS, SUPPORTED_GRANT_TYPES } from '../../shared/manifest';
import { REGISTRATION_ROUTE, routePath, serverUrl } from '../../shared/routes';

/** Metadata changes only with a deployment, so shared caches may keep it for five minutes. */
export const DISCOVERY_MAX_AGE_SECS = 300;

/** The metadata document: only what this server does today. */
export function discoveryDocument(config: AuthorizationServerConfig): Record<string, unknown> {
  const { issuer } = config;
  return {
    issuer,
    token_endpoint: serverUrl(issuer, 'token'),
    jwks_uri: serverUrl(issuer, 'jwks'),
    scopes_supported: [...config.scopesSupported],
    ...userDelegationMetadata(config),
    grant_types_supported: grantTypes(config),
    ...tokenEndpointAuthMetadata(authMethods(config)),
    revocation_endpoint: serverUrl(issuer, 'revoke'),
    ...endpointAuthMetadata('revocation', authMethods(config)),
    introspection_endpoint: serverUrl(issuer, 'introspect'),
    ...endpointAuthMetadata('introspection', authMethods(config)),
    ...(config.serviceDocumentation ? { service_documentation: config.serviceDocumentation } : {}),
  };
}

/** Clients known by a metadata document use the user-delegated grants, with `none` or `private_key_jwt`. */
const metadataDocumentClients = (config: AuthorizationServerConfig) =>
  config.clientIdMetadataDocuments !== undefined || config.dynamicClientRegistration !== undefined;

function grantTypes(config: AuthorizationServerConfig): string[] {
  const declared = config.grantTypesSupported ?? SUPPORTED_GRANT_TYPES;
  if (!metadataDocumentClients(config)) return [...declared];
  return SUPPORTED_GRANT_TYPES.filter((g) => declared.includes(g) || g === 'authorization_code' || g === 'refresh_token');
}

function authMethods(config: AuthorizationServerConfig): string[] {
  const declared: readonly string[] = config.authMethodsSupported ?? SUPPORTED_AUTH_METHODS;
  if (!metadataDocumentClients(config)) return [...declared];
  return SUPPORTED_AUTH_METHODS.filter((m) => declared.includes(m) || m === 'none' || m === 'private_key_jwt');
}

/**
 * The authorization endpoint exists only with user sign-in configured. RFC 8414 §2 makes `response_types_supported`
 * REQUIRED, so without it the truthful value is the empty list ("token" would advertise the implicit grant we refuse).
 */
function userDelegationMetadata(config: AuthorizationServerConfig): Record<string, unknown> {
  if (!config.userAuthentication) return { response_types_supported: [] };
  return {
    authorization_endpoint: serverUrl(config.issuer, 'authorize'),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    ...(config.clientIdMetadataDocuments ? { client_id_metadata_document_supported: true } : {}),
    ...(config.dynamicClientRegistration ? { registration_endpoint: `${config.issuer}${routePath(REGISTRATION_ROUTE)}` } : {}),
  };
}

/** Revocation and introspection authenticate clients as the token endpoint does (RFC 8414 §2). */
function endpointAuthMetadata(endpoint: 'revocation' | 'introspection', methods: readonly string[]): Record<string, string[]> {
  // A public client (`none`) may revoke its own tokens but has nothing to authenticate introspection with.
  const usable = endpoint === 'introspection' ? methods.filter((m) => m !== 'none') : methods;
  return {
    [`${endpoint}_endpoint_auth_methods_supported`]: [...usable],
    ...(usable.includes('private_key_jwt')
      ? { [`${endpoint}_endpoint_auth_signing_alg_values_supported`]: [...ASSERTION_SIGNING_ALGORITHMS] }
      : {}),
  };
}

/** The methods clients of this registry use; the assertion algorithms too when one of them is `private_key_jwt`. */
function tokenEndpointAuthMetadata(methods: readonly string[]): Record<string, string[]> {
  return {
    token_endpoint_auth_methods_supported: [...methods],
    ...(methods.includes('private_key_jwt') ? { token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_SIGNING_ALGORITHMS] } : {}),
  };
}

export function createDiscoveryEndpoint(config: AuthorizationServerConfig): RouteHandler {
  const body = discoveryDocument(config);
  return async () => publicJsonResponse(200, body, DISCOVERY_MAX_AGE_SECS);
}
