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
import type { ClientRegistration } from '../shared/manifest';
import type { Clock, RegistrationStore, SecretStore } from '../shared/ports';
import { SERVER_ROUTES } from '../shared/routes';
import { createAccessTokenIssuer } from './access-token';
import { createClientAuthenticator } from './client-auth';
import { createClientSecretVerifier } from './client-secrets';
import { createDiscoveryEndpoint } from './discovery';
import { GRANTS } from './grants';
import { createJwksEndpoint } from './jwks';
import { createSigningKeys } from './signing-keys';
import { createTokenEndpoint } from './token';

export interface AuthorizationServerDeps {
  readonly config: AuthorizationServerConfig;
  readonly secrets: SecretStore;
  readonly registrations: RegistrationStore;
  /** @default Date.now */
  readonly clock?: Clock;
  /** @default JSON lines on stdout */
  readonly log?: Logger;
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

  const registrationCache = new TtlCache<string, ClientRegistration | undefined>({ ttlMs, clock });
  const registrations: RegistrationStore = {
    getClient: (clientId) => registrationCache.get(clientId, (id) => deps.registrations.getClient(id)),
  };
  const signingKeys = createSigningKeys({ secrets, secretId: config.signingKeySecretId, clock, ttlMs, log });
  const authenticate = createClientAuthenticator({
    registrations,
    secrets: createClientSecretVerifier({ secrets, clock, ttlMs, overlapSecs: config.secretOverlapSecs, log }),
  });
  const tokens = createAccessTokenIssuer({
    issuer: config.issuer,
    defaultAudience: config.audience ?? config.issuer,
    signingKeys,
    clock,
  });

  const discovery = createDiscoveryEndpoint(config);
  const routes: ReadonlyMap<string, RouteHandler> = new Map([
    [SERVER_ROUTES.token, createTokenEndpoint({ grants: GRANTS, authenticate, tokens, log })],
    [SERVER_ROUTES.openidConfiguration, discovery],
    [SERVER_ROUTES.authorizationServerMetadata, discovery],
    [SERVER_ROUTES.jwks, createJwksEndpoint(signingKeys)],
  ]);

  return {
    async handle(event) {
      const routeKey = routeKeyOf(event);
      const route = routes.get(routeKey);
      if (!route) return jsonResponse(404, { error: 'not_found', error_description: `no route for ${routeKey}` });
      try {
        return await route(event);
      } catch (err) {
        return errorResponse(err, log);
      }
    },
  };
}
