/**
 * JWT bearer grant (RFC 7523 §2.1 and §3, as ServiceNow's JWT bearer): the authenticated client presents `assertion`,
 * a JWT about a user signed by an issuer we trust for that client (`jwtBearer: { issuer, jwks | jwksUri }`), and
 * gets an access token acting for that user: `sub` is `<issuer>|<sub>` of the asserted user (namespaced as federated
 * sign-in does, so a trusted issuer cannot assert another issuer's user or a client id), `client_id` the client.
 * A bad assertion is `invalid_grant` (RFC 7523 §3.1).
 */
import { InvalidGrantError, InvalidRequestError, UnauthorizedClientError } from '../../shared/errors';
import type { AssertionKeys, ClientRegistration } from '../../shared/manifest';
import { tableKey } from '../../shared/table-keys';
import { AssertionError, type AssertionVerifier } from '../jwt-assertion';
import { resolveScope } from '../scope';
import { namespacedSubject } from '../upstream';
import type { GrantHandler } from './grant-handler';

/** State-store key of a user assertion's `jti` once exchanged (single use per client). */
export const jwtBearerReplayKey = (clientId: string, jti: string): string => tableKey('bearerJti', clientId, jti);

export const jwtBearerGrant: GrantHandler = async ({ params, client, tokens, assertions, resources }) => {
  const assertion = params.get('assertion');
  if (assertion === undefined) throw new InvalidRequestError('assertion is required');
  const scope = resolveScope(params.get('scope'), client.scopes);
  const audience = resources.audienceFor(client, params.get('resource'));
  const user = await assertedUser(assertions, client, assertion);
  return tokens.issue(client, scope, { subject: user, audience });
};

/** `<issuer>|<sub>` of a valid user assertion for `client`; throws `invalid_grant` for any other. */
async function assertedUser(assertions: AssertionVerifier, client: ClientRegistration, assertion: string): Promise<string> {
  const trust = client.jwtBearer;
  if (!trust) throw new UnauthorizedClientError('this client has no trusted assertion issuer');
  const keys: AssertionKeys =
    trust.jwks !== undefined ? { jwks: trust.jwks } : { jwksUri: trust.jwksUri, allowPrivateNetwork: trust.allowPrivateNetwork === true };
  try {
    const verified = await assertions.verify(assertion, {
      keys,
      keysOwner: `${client.clientId}#jwt-bearer`,
      issuer: trust.issuer,
      replayKey: (jti) => jwtBearerReplayKey(client.clientId, jti),
    });
    return namespacedSubject(trust.issuer, verified.subject);
  } catch (err) {
    if (err instanceof AssertionError) throw new InvalidGrantError(err.message, { detail: err.detail });
    throw err;
  }
}
