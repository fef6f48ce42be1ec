/**
 * Token endpoint (RFC 6749 §3.2): parse the form -> pick the grant -> authenticate the client -> check it may use the
 * grant -> count it against its rate limit -> issue. One log line per outcome, with the client id and never a secret or token.
 */
import { InvalidRequestError, UnauthorizedClientError, UnsupportedGrantTypeError } from '../../shared/errors';
import { jsonResponse, type RouteHandler } from '../../shared/http';
import { sentClientId, type Logger } from '../../shared/log';
import { PUBLIC_CLIENT_GRANT_TYPES } from '../../shared/manifest';
import type { Clock, StateStore } from '../../shared/ports';
import type { AccessTokenIssuer } from '../access-token';
import { readClientCredentials, type ClientAuthenticator } from '../client-auth';
import { isHandledGrantType, type GrantHandlers } from '../grants/grant-handler';
import type { AssertionVerifier } from '../jwt-assertion';
import type { RateLimiter } from '../rate-limit';
import type { ResourceIndicators } from '../resource-indicators';
import { oauthEndpoint, readTokenRequest } from './form-endpoint';

export function createTokenEndpoint(deps: {
  readonly grants: GrantHandlers;
  readonly authenticate: ClientAuthenticator;
  readonly tokens: AccessTokenIssuer;
  readonly state: StateStore;
  readonly clock: Clock;
  readonly assertions: AssertionVerifier;
  readonly resources: ResourceIndicators;
  readonly log: Logger;
  /** @default no limit */
  readonly rateLimit?: RateLimiter;
}): RouteHandler {
  return oauthEndpoint({ log: deps.log, denied: 'token_denied' }, async (event, denial) => {
    const params = readTokenRequest(event);
    Object.assign(denial, sentClientId(params.get('client_id')));
    const grantType = params.get('grant_type');
    if (grantType === undefined) throw new InvalidRequestError('grant_type is required');
    if (!isHandledGrantType(deps.grants, grantType)) {
      // Named back only when it could be a grant type: never a 16 KB value echoed.
      const named = grantType.length <= 100 ? ` ${grantType}` : '';
      throw new UnsupportedGrantTypeError(`grant_type${named} is not supported`);
    }
    const grant = deps.grants[grantType];

    const credentials = readClientCredentials(event, params);
    delete denial.client_id;
    delete denial.client_id_withheld;
    Object.assign(denial, sentClientId(credentials.clientId));
    const client = await deps.authenticate(credentials);
    if (!client.grantTypes.includes(grantType)) {
      throw new UnauthorizedClientError(`this client is not registered for ${grantType}`);
    }
    if (client.authMethod === 'none' && !PUBLIC_CLIENT_GRANT_TYPES.includes(grantType)) {
      throw new UnauthorizedClientError(`a public client cannot use ${grantType}`);
    }
    await deps.rateLimit?.admit(client);

    const { tokens, state, clock, assertions, resources } = deps;
    const response = await grant({ params, client, tokens, state, clock, assertions, resources });
    await deps.rateLimit?.issued(client);
    deps.log.info('token_issued', { client_id: client.clientId, grant_type: grantType, scope: response.scope ?? '' });
    return jsonResponse(200, response);
  });
}
