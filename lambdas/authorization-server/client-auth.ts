/**
 * Client authentication at the token endpoint: `client_secret_basic` or `client_secret_post` (RFC 6749 §2.3.1),
 * `private_key_jwt` (RFC 7523 §2.2) or, for public clients, `none` (the client id alone). Exactly one method per
 * request, and the one the client registered; the authenticator dispatches on the registered method through a map.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvalidClientError, InvalidRequestError } from '../shared/errors';
import { getHeader } from '../shared/http';
import type { ClientAuthMethod, ClientRegistration } from '../shared/manifest';
import type { RegistrationStore } from '../shared/ports';
import { assertedClientId, readClientAssertion, type ClientAssertionVerifier } from './client-assertion';
import type { ClientSecretVerifier } from './client-secrets';

/** Credentials as the request presented them, not yet checked. */
export type PresentedCredentials =
  | { readonly method: 'client_secret_basic' | 'client_secret_post'; readonly clientId: string; readonly clientSecret: string }
  | { readonly method: 'private_key_jwt'; readonly clientId: string; readonly clientAssertion: string }
  | { readonly method: 'none'; readonly clientId: string };

/** One description for unknown client, inactive client and wrong secret, so responses cannot enumerate clients. */
export const CLIENT_AUTH_FAILED = 'client authentication failed';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Reads the credentials of whichever method the request used; throws when it used none, both, or a malformed one. */
export function readClientCredentials(event: APIGatewayProxyEventV2, params: ReadonlyMap<string, string>): PresentedCredentials {
  const authorization = getHeader(event, 'authorization');
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  const assertion = readClientAssertion(params);

  if (authorization !== undefined) {
    const basic = readBasic(authorization);
    if (bodySecret !== undefined || assertion !== undefined) throw new InvalidClientError('use one client authentication method, not two');
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw new InvalidRequestError('client_id in the body differs from the Authorization header');
    }
    return basic;
  }
  if (assertion !== undefined) {
    if (bodySecret !== undefined) throw new InvalidClientError('use one client authentication method, not two');
    const clientId = assertedClientId(assertion, CLIENT_AUTH_FAILED);
    if (bodyId !== undefined && bodyId !== clientId) throw new InvalidClientError("client_id differs from the client assertion's subject");
    return { method: 'private_key_jwt', clientId, clientAssertion: assertion };
  }
  if (bodyId !== undefined && bodySecret !== undefined) {
    return { method: 'client_secret_post', clientId: bodyId, clientSecret: bodySecret };
  }
  if (bodyId !== undefined) return { method: 'none', clientId: bodyId };
  throw new InvalidClientError('client authentication is required');
}

/** `Basic base64(urlencode(id) ":" urlencode(secret))`, RFC 6749 §2.3.1 with RFC 7617. */
function readBasic(header: string): PresentedCredentials {
  const match = /^basic +(\S+) *$/i.exec(header);
  if (!match) throw new InvalidClientError('unsupported authentication scheme; use Basic');
  const encoded = match[1];
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

/** Checks presented credentials against the registration and its secret or keys; resolves to the authenticated client. */
export type ClientAuthenticator = (credentials: PresentedCredentials) => Promise<ClientRegistration>;

/** Whether `presented` proves the identity of `client` by the method the client registered. */
type ProofCheck = (client: ClientRegistration, presented: PresentedCredentials) => Promise<boolean>;

export function createClientAuthenticator(deps: {
  readonly registrations: RegistrationStore;
  readonly secrets: ClientSecretVerifier;
  readonly assertions: ClientAssertionVerifier;
}): ClientAuthenticator {
  // A secret client proves itself with its secret by either secret method; the mismatch is told only afterwards.
  const sharedSecret: ProofCheck = async (client, presented) => {
    if (!('clientSecret' in presented)) return false;
    return deps.secrets.verify(client, presented.clientSecret);
  };
  const proofs: Readonly<Record<ClientAuthMethod, ProofCheck>> = {
    client_secret_basic: sharedSecret,
    client_secret_post: sharedSecret,
    private_key_jwt: async (client, presented) =>
      presented.method === 'private_key_jwt' && deps.assertions(client, presented.clientAssertion),
    // A public client proves nothing; it must not present a secret or an assertion either.
    none: async (_client, presented) => presented.method === 'none',
  };
  const refuse: ProofCheck = async () => false;

  return async (presented) => {
    const client = await deps.registrations.getClient(presented.clientId);
    if (!client) {
      if ('clientSecret' in presented) deps.secrets.burn(presented.clientSecret);
      throw new InvalidClientError(CLIENT_AUTH_FAILED);
    }
    const proven = await (proofs[client.authMethod] ?? refuse)(client, presented);
    if (!proven || !client.active) throw new InvalidClientError(CLIENT_AUTH_FAILED);
    // Told only to a caller who proved the identity, so it reveals nothing, and it saves a partner a support ticket.
    if (presented.method !== client.authMethod) throw new InvalidClientError(`this client authenticates with ${client.authMethod}`);
    return client;
  };
}
