/**
 * The authorization server: one function behind the registry's HTTP API, routing on the route key to one handler per
 * endpoint. Built once per cold start; registrations, client secrets and signing keys stay cached between requests.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { TtlCache } from '../shared/cache';
import type { AuthorizationServerConfig } from '../shared/config';
import { errorResponse } from '../shared/errors';
import { jsonResponse, routeKeyOf, type RouteHandler } from '../shared/http';
import { createJsonLogger, type Logger } from '../shared/log';
import { CLIENT_ID_PATTERN, type ClientRegistration } from '../shared/manifest';
import { errorDescription } from '../shared/oauth-syntax';
import type { Clock, Counters, RegistrationStore, SecretStore, StateStore } from '../shared/ports';
import { REGISTRATION_ROUTE, SERVER_ROUTES, routePath } from '../shared/routes';
import { createAccessTokenIssuer } from './access-token';
import { createClientAssertionVerifier } from './client-assertion';
import { CLIENT_AUTH_FAILED, createClientAuthenticator } from './client-auth';
import { ClientMetadataError, createClientMetadataResolver, isClientIdUrl, type ClientMetadataDeps } from './client-metadata-documents';
import { createClientSecretVerifier } from './client-secrets';
import type { AuthorizationFlowDeps } from './endpoints/authorization-flow';
import { createAuthorizeEndpoint } from './endpoints/authorize';
import { createCallbackEndpoint } from './endpoints/callback';
import { createConsentDecision, createConsentPage } from './endpoints/consent';
import { createDiscoveryEndpoint } from './endpoints/discovery';
import { createInternalIntrospectionEndpoint, createIntrospectionEndpoint } from './endpoints/introspect';
import { createJwksEndpoint } from './endpoints/jwks';
import { protectedResourceRoutes } from './endpoints/protected-resource';
import { createRegistrationEndpoint, isRegisteredClientId, registeredClient } from './endpoints/register';
import { createRevocationEndpoint } from './endpoints/revoke';
import { createTokenEndpoint } from './endpoints/token';
import { GRANT_HANDLERS } from './grants';
import { createAssertionVerifier } from './jwt-assertion';
import { createPublishedKeys, publishedSigningKeys } from './published-keys';
import { createRateLimiter } from './rate-limit';
import { createResourceIndicators } from './resource-indicators';
import { createSigningKeys } from './signing-keys';
import { createTokenInspector } from './token-inspector';
import { createUpstreamLogin } from './upstream';

export interface AuthorizationServerDeps {
  readonly config: AuthorizationServerConfig;
  readonly secrets: SecretStore;
  readonly registrations: RegistrationStore;
  /** The registry's table: codes, refresh-token families, revocations, assertion `jti`s. */
  readonly state: StateStore;
  /** Counters in the same table, for clients with `tokensPerMinute`. @default none: such a client gets server_error */
  readonly counters?: Counters;
  /** @default Date.now */
  readonly clock?: Clock;
  /** @default JSON lines on stdout */
  readonly log?: Logger;
  /** How client metadata documents are fetched. @default the bounded fetch (see `ClientMetadataDeps.fetchFor`) */
  readonly clientMetadataFetchFor?: ClientMetadataDeps['fetchFor'];
}

export interface AuthorizationServer {
  /** Answers one API Gateway v2 request; never throws (failures become OAuth error responses). */
  handle(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2>;
}

export function createAuthorizationServer(deps: AuthorizationServerDeps): AuthorizationServer {
  const { config, secrets } = deps;
  const clock = deps.clock ?? Date.now;
  const log = deps.log ?? createJsonLogger();
  const ttlMs = config.cacheTtlSecs * 1000;

  const registrationCache = new TtlCache<string, ClientRegistration | undefined>({ ttlMs, clock, log, name: 'registrations' });
  const clientMetadata = config.clientIdMetadataDocuments
    ? createClientMetadataResolver({
        settings: config.clientIdMetadataDocuments,
        clock,
        ...(deps.clientMetadataFetchFor ? { fetchFor: deps.clientMetadataFetchFor } : {}),
      })
    : undefined;
  // A client id no registration can have is unknown without a lookup: it never becomes a table key or a cache entry.
  // A metadata document URL (when accepted) is its own registration; a refused one is an unknown client here.
  const registrations: RegistrationStore = {
    getClient: async (clientId) => {
      if (isRegisteredClientId(clientId)) return registeredClient(deps.state, clock, config.dynamicClientRegistration, clientId);
      if (CLIENT_ID_PATTERN.test(clientId)) return registrationCache.get(clientId, (id) => deps.registrations.getClient(id));
      if (!clientMetadata || !isClientIdUrl(clientId)) return undefined;
      return clientMetadata.resolve(clientId).catch((err: unknown) => {
        if (err instanceof ClientMetadataError) return undefined;
        throw err;
      });
    },
  };
  // Signing reads the private ring (Secrets Manager); publishing and verifying read only the public ring (the table).
  const publishedKeys = createPublishedKeys({ state: deps.state, clock, ttlMs, log });
  const signingKeys = publishedSigningKeys(
    createSigningKeys({ secrets, secretId: config.signingKeySecretId, clock, ttlMs, log }),
    publishedKeys,
    log,
  );
  // RFC 7523 §3: the audience of an assertion is our token endpoint URL or our issuer identifier.
  const assertions = createAssertionVerifier({
    state: deps.state,
    clock,
    audiences: [`${config.issuer}${routePath(SERVER_ROUTES.token)}`, config.issuer],
    log,
    allowPrivateNetwork: config.allowPrivateNetwork === true,
  });
  const authenticate = createClientAuthenticator({
    registrations,
    secrets: createClientSecretVerifier({ secrets, clock, ttlMs, overlapSecs: config.secretOverlapSecs, log }),
    assertions: createClientAssertionVerifier(assertions, CLIENT_AUTH_FAILED),
  });
  const tokens = createAccessTokenIssuer({
    issuer: config.issuer,
    defaultAudience: config.audience ?? config.issuer,
    signingKeys,
    clock,
  });

  const discovery = createDiscoveryEndpoint(config);
  const { issuer } = config;
  const resources = createResourceIndicators(config);
  const flow: AuthorizationFlowDeps = {
    issuer,
    resources,
    ...(clientMetadata ? { clientMetadata } : {}),
    state: deps.state,
    clock,
    registrations,
    log,
    ...(config.userAuthentication
      ? {
          upstream: createUpstreamLogin({
            registration: config.userAuthentication,
            redirectUri: `${issuer}${routePath(SERVER_ROUTES.callback)}`,
            secrets,
            clock,
            ttlMs,
            allowPrivateNetwork: config.allowPrivateNetwork === true,
          }),
        }
      : {}),
  };
  const rateLimit = createRateLimiter({ counters: deps.counters, clock, log });
  const inspector = createTokenInspector({ issuer, publishedKeys, state: deps.state, clock });
  const routes: ReadonlyMap<string, RouteHandler> = new Map([
    [
      SERVER_ROUTES.token,
      createTokenEndpoint({
        grants: GRANT_HANDLERS,
        authenticate,
        tokens,
        state: deps.state,
        clock,
        assertions,
        resources,
        log,
        rateLimit,
      }),
    ],
    [SERVER_ROUTES.openidConfiguration, discovery],
    [SERVER_ROUTES.authorizationServerMetadata, discovery],
    [SERVER_ROUTES.jwks, createJwksEndpoint(publishedKeys)],
    [SERVER_ROUTES.authorize, createAuthorizeEndpoint(flow)],
    [SERVER_ROUTES.callback, createCallbackEndpoint(flow)],
    [SERVER_ROUTES.consent, createConsentPage(flow)],
    [SERVER_ROUTES.consentDecision, createConsentDecision(flow)],
    [SERVER_ROUTES.revoke, createRevocationEndpoint({ authenticate, inspector, state: deps.state, log })],
    [SERVER_ROUTES.introspect, createIntrospectionEndpoint({ issuer, authenticate, inspector, log })],
    [SERVER_ROUTES.internalIntrospect, createInternalIntrospectionEndpoint({ issuer, inspector, log })],
    ...protectedResourceRoutes(config),
    [REGISTRATION_ROUTE, createRegistrationEndpoint({ settings: config.dynamicClientRegistration, state: deps.state, clock, log })],
  ]);

  return {
    async handle(event) {
      const routeKey = routeKeyOf(event);
      const route = routes.get(routeKey);
      if (!route) return jsonResponse(404, { error: 'not_found', error_description: errorDescription(`no route for ${routeKey}`) });
      try {
        return await route(event);
      } catch (err) {
        return errorResponse(err, log);
      }
    },
  };
}
