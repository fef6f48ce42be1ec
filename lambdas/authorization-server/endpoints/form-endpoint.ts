/**
 * What the token, revocation and introspection endpoints share: the token endpoint's form (RFC 6749 §3.2), its client
 * authentication (revocation and introspection take both: RFC 7009 §2.1, RFC 7662 §2.1), and one error wrapper.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { InvalidRequestError, InvalidTargetError, OAuthError, errorResponse } from '../../shared/errors';
import { bodyBytes, mediaType, type RouteHandler } from '../../shared/http';
import { errorDetail, type Logger } from '../../shared/log';
import type { ClientRegistration } from '../../shared/manifest';
import { readClientCredentials, type ClientAuthenticator } from '../client-auth';

/** Largest token request body accepted; real ones are a few hundred bytes. */
export const MAX_TOKEN_REQUEST_BYTES = 16 * 1024;

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
    // One resource per request (RFC 8707 §2 lets a server refuse several with invalid_target): one `aud` per token.
    if (seen.has(name) && name === 'resource') throw new InvalidTargetError('only one resource may be requested');
    if (seen.has(name)) throw new InvalidRequestError(`parameter ${name} is repeated`);
    seen.add(name);
    if (value !== '') params.set(name, value);
  }
  return params;
}

/** The token endpoint's form and the client it authenticates (revocation, introspection). */
export async function readAuthenticatedForm(
  event: APIGatewayProxyEventV2,
  authenticate: ClientAuthenticator,
): Promise<{ params: ReadonlyMap<string, string>; client: ClientRegistration }> {
  const params = readTokenRequest(event);
  const client = await authenticate(readClientCredentials(event, params));
  return { params, client };
}

/** Fields of the denial log line, which the handler fills in as it learns them (a client id; never a secret). */
export type DenialFields = Record<string, unknown>;

/**
 * An endpoint answering OAuth errors as JSON (RFC 6749 §5.2): whatever `handle` throws becomes `errorResponse`'s
 * answer; a refusal (an `OAuthError` below 500) is also logged as the warning `denied`, with its error code, the
 * `denial` fields and its log-only `detail`. Without `denied`, refusals are answered but not logged.
 */
export function oauthEndpoint(
  options: { readonly log: Logger; readonly denied?: string },
  handle: (event: APIGatewayProxyEventV2, denial: DenialFields) => Promise<APIGatewayProxyStructuredResultV2>,
): RouteHandler {
  const { log, denied } = options;
  return async (event) => {
    const denial: DenialFields = {};
    try {
      return await handle(event, denial);
    } catch (err) {
      if (denied !== undefined && err instanceof OAuthError && err.status < 500) {
        log.warn(denied, { error: err.error, ...denial, ...errorDetail(err) });
      }
      return errorResponse(err, log);
    }
  };
}
