/**
 * Client authentication at the token endpoint (RFC 6749 §2.3.1): `client_secret_basic` or `client_secret_post`,
 * exactly one per request, and the one the client registered.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvalidClientError, InvalidRequestError } from '../shared/errors';
import { getHeader } from '../shared/http';
import type { ClientAuthMethod, ClientRegistration } from '../shared/manifest';
import type { RegistrationStore } from '../shared/ports';
import type { ClientSecretVerifier } from './client-secrets';

/** Credentials as the request presented them, not yet checked. */
export interface PresentedCredentials {
  readonly method: ClientAuthMethod;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** One description for unknown client, inactive client and wrong secret, so responses cannot enumerate clients. */
export const CLIENT_AUTH_FAILED = 'client authentication failed';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Reads the credentials of whichever method the request used; throws when it used none, both, or a malformed one. */
export function readClientCredentials(event: APIGatewayProxyEventV2, params: ReadonlyMap<string, string>): PresentedCredentials {
  const authorization = getHeader(event, 'authorization');
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');

  if (authorization !== undefined) {
    const basic = readBasic(authorization);
    if (bodySecret !== undefined) throw new InvalidClientError('use one client authentication method, not two');
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw new InvalidRequestError('client_id in the body differs from the Authorization header');
    }
    return basic;
  }
  if (bodyId !== undefined && bodySecret !== undefined) {
    return { method: 'client_secret_post', clientId: bodyId, clientSecret: bodySecret };
  }
  throw new InvalidClientError('client authentication is required');
}

/** `Basic base64(urlencode(id) ":" urlencode(secret))`, RFC 6749 §2.3.1 with RFC 7617. */
function readBasic(header: string): PresentedCredentials {
  const match = /^basic +(\S+) *$/i.exec(header);
  if (!match) throw new InvalidClientError('unsupported authentication scheme; use Basic');
  const encoded = match[1]!;
  if (!BASE64.test(encoded) || encoded.length % 4 === 1) throw new InvalidRequestError('malformed Basic credentials');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new InvalidRequestError('malformed Basic credentials');
  const clientId = formDecode(decoded.slice(0, colon));
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (!clientId) throw new InvalidClientError('client authentication is required');
  return { method: 'client_secret_basic', clientId, clientSecret };
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new InvalidRequestError('malformed Basic credentials');
  }
}

/** Checks presented credentials against the registration and its secret; resolves to the authenticated client. */
export type ClientAuthenticator = (credentials: PresentedCredentials) => Promise<ClientRegistration>;

export function createClientAuthenticator(deps: {
  readonly registrations: RegistrationStore;
  readonly secrets: ClientSecretVerifier;
}): ClientAuthenticator {
  return async ({ method, clientId, clientSecret }) => {
    const client = await deps.registrations.getClient(clientId);
    if (!client) {
      deps.secrets.burn(clientSecret);
      throw new InvalidClientError(CLIENT_AUTH_FAILED);
    }
    const secretOk = await deps.secrets.verify(client, clientSecret);
    if (!secretOk || !client.active) throw new InvalidClientError(CLIENT_AUTH_FAILED);
    // Told only to a caller who knows the secret, so it reveals nothing, and it saves a partner a support ticket.
    if (method !== client.authMethod) throw new InvalidClientError(`this client authenticates with ${client.authMethod}`);
    return client;
  };
}
