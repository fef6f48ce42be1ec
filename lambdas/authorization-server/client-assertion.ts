/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OpenID Connect Core §9): the client sends
 * `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and `client_assertion`, a JWT it
 * signed with a private key whose public half it registered (`jwks` or `jwksUri`); `iss` and `sub` are its client id.
 * Such a client has no shared secret at all.
 */
import { decodeJwt } from 'jose';
import { InvalidClientError, InvalidRequestError } from '../shared/errors';
import type { AssertionKeys, ClientRegistration } from '../shared/manifest';
import { CLIENT_ASSERTION_TYPE } from '../shared/oauth-syntax';
import { tableKey } from '../shared/table-keys';
import { AssertionError, type AssertionVerifier } from './jwt-assertion';

export { CLIENT_ASSERTION_TYPE };

/** State-store key of a client assertion's `jti` once accepted (single use per client). */
export const clientAssertionReplayKey = (clientId: string, jti: string): string => tableKey('assertionJti', clientId, jti);

/** The `client_assertion` of a request, or undefined when it sent neither assertion parameter. */
export function readClientAssertion(params: ReadonlyMap<string, string>): string | undefined {
  const type = params.get('client_assertion_type');
  const assertion = params.get('client_assertion');
  if (type === undefined && assertion === undefined) return undefined;
  if (type === undefined || assertion === undefined) {
    throw new InvalidRequestError('client_assertion and client_assertion_type must be sent together');
  }
  if (type !== CLIENT_ASSERTION_TYPE) throw new InvalidClientError(`unsupported client_assertion_type; use ${CLIENT_ASSERTION_TYPE}`);
  return assertion;
}

/** The client id an assertion claims (its `sub`, not yet verified), to look the client up by. */
export function assertedClientId(assertion: string, failure: string): string {
  let sub: unknown;
  try {
    sub = decodeJwt(assertion).sub;
  } catch {
    throw new InvalidClientError(failure);
  }
  if (typeof sub !== 'string' || sub === '') throw new InvalidClientError(failure);
  return sub;
}

/** Verifies a client's assertion against its registered keys; resolves true, or throws `invalid_client`. */
export type ClientAssertionVerifier = (client: ClientRegistration, assertion: string) => Promise<boolean>;

/**
 * `failure` is the description for every failure before a registered key verified the signature, so a forger
 * learns nothing (not even whether the client exists; why goes to the log as `detail`); after that, the description
 * says what was wrong.
 */
export function createClientAssertionVerifier(assertions: AssertionVerifier, failure: string): ClientAssertionVerifier {
  return async (client, assertion) => {
    const keys: AssertionKeys | undefined =
      client.jwks !== undefined
        ? { jwks: client.jwks }
        : client.jwksUri !== undefined
          ? { jwksUri: client.jwksUri, allowPrivateNetwork: client.jwksUriAllowPrivateNetwork === true }
          : undefined;
    if (!keys) return false;
    try {
      await assertions.verify(assertion, {
        keys,
        keysOwner: client.clientId,
        issuer: client.clientId,
        subject: client.clientId,
        replayKey: (jti) => clientAssertionReplayKey(client.clientId, jti),
      });
      return true;
    } catch (err) {
      if (err instanceof AssertionError) {
        throw new InvalidClientError(err.signatureVerified ? `client ${err.message}` : failure, { detail: err.detail });
      }
      throw err;
    }
  };
}
