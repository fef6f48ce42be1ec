/**
 * Token endpoint (RFC 6749 §3.2): parse the form -> pick the grant -> authenticate the client -> check it may use the
 * grant -> issue. One log line per outcome, with the client id and never a secret or token.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvalidRequestError, OAuthError, UnauthorizedClientError, UnsupportedGrantTypeError, errorResponse } from '../shared/errors';
import { bodyBytes, jsonResponse, mediaType, type RouteHandler } from '../shared/http';
import type { Logger } from '../shared/log';
import { PUBLIC_CLIENT_GRANT_TYPES, type SupportedGrantType } from '../shared/manifest';
import type { Clock, StateStore } from '../shared/ports';
import type { AccessTokenIssuer } from './access-token';
import { readClientCredentials, type ClientAuthenticator } from './client-auth';
import type { Grant } from './grants/grant';
import type { AssertionVerifier } from './jwt-assertion';

/** Largest token request body accepted; real ones are a few hundred bytes. */
export const MAX_TOKEN_REQUEST_BYTES = 16 * 1024;

export function createTokenEndpoint(deps: {
  readonly grants: ReadonlyMap<string, Grant>;
  readonly authenticate: ClientAuthenticator;
  readonly tokens: AccessTokenIssuer;
  readonly state: StateStore;
  readonly clock: Clock;
  readonly assertions: AssertionVerifier;
  readonly log: Logger;
}): RouteHandler {
  return async (event) => {
    let clientId: string | undefined;
    try {
      const params = readTokenRequest(event);
      clientId = params.get('client_id');
      const grantType = params.get('grant_type');
      if (grantType === undefined) throw new InvalidRequestError('grant_type is required');
      const grant = deps.grants.get(grantType);
      if (!grant) throw new UnsupportedGrantTypeError(`grant_type ${grantType} is not supported`);

      const credentials = readClientCredentials(event, params);
      clientId = credentials.clientId;
      const client = await deps.authenticate(credentials);
      if (!client.grantTypes.includes(grantType as SupportedGrantType)) {
        throw new UnauthorizedClientError(`this client is not registered for ${grantType}`);
      }
      if (client.authMethod === 'none' && !PUBLIC_CLIENT_GRANT_TYPES.includes(grantType)) {
        throw new UnauthorizedClientError(`a public client cannot use ${grantType}`);
      }

      const response = await grant({ params, client, tokens: deps.tokens, state: deps.state, clock: deps.clock, assertions: deps.assertions });
      deps.log.info('token_issued', { client_id: client.clientId, grant_type: grantType, scope: response.scope ?? '' });
      return jsonResponse(200, response);
    } catch (err) {
      if (err instanceof OAuthError && err.status < 500) {
        deps.log.warn('token_denied', { error: err.error, client_id: clientId?.slice(0, 200) });
      }
      return errorResponse(err, deps.log);
    }
  };
}

/**
 * The form parameters of a token request: `application/x-www-form-urlencoded` only, at most 16 KB, no parameter twice;
 * parameters sent without a value are treated as omitted (RFC 6749 §3.2).
 */
export function readTokenRequest(event: APIGatewayProxyEventV2): ReadonlyMap<string, string> {
  if (mediaType(event) !== 'application/x-www-form-urlencoded') {
    throw new InvalidRequestError('Content-Type must be application/x-www-form-urlencoded');
  }
  // Refuse oversized bodies before decoding them (base64 grows data by 4/3).
  const raw = event.body ?? '';
  if (raw.length > (event.isBase64Encoded ? Math.ceil((MAX_TOKEN_REQUEST_BYTES * 4) / 3) + 4 : MAX_TOKEN_REQUEST_BYTES)) {
    throw new InvalidRequestError('request body is too large');
  }
  const bytes = bodyBytes(event);
  if (bytes.length > MAX_TOKEN_REQUEST_BYTES) throw new InvalidRequestError('request body is too large');

  const params = new Map<string, string>();
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(bytes.toString('utf8'))) {
    if (seen.has(name)) throw new InvalidRequestError(`parameter ${name} is repeated`);
    seen.add(name);
    if (value !== '') params.set(name, value);
  }
  return params;
}
