// src/accounts.ts
import { ConnectionTokenError, getConnectionToken, type ProtectedRouteEvent, type ProtectedRouteResult } from 'oauth-registry/runtime';

const SALESFORCE_API = 'https://example.my.salesforce.com/services/data/v60.0';

/** The caller's Salesforce accounts: the route is granted the connection's tokens (salesforce.grantTokenAccess(route)). */
export async function handler(event: ProtectedRouteEvent): Promise<ProtectedRouteResult> {
  const { sub, client_id } = event.requestContext.authorizer.jwt.claims;
  try {
    const { access_token } = await getConnectionToken('Salesforce', { subject: sub ?? client_id });
    // Or through the registry's proxy (SigV4-signed): await connectionFetch('Salesforce', '/sobjects/Account', { subject })
    const response = await fetch(`${SALESFORCE_API}/sobjects/Account`, { headers: { authorization: `Bearer ${access_token}` } });
    return { statusCode: response.status, headers: { 'content-type': 'application/json' }, body: await response.text() };
  } catch (error) {
    if (!(error instanceof ConnectionTokenError)) throw error;
    // The code only, never a consent link: whoever opened it would bind THEIR Salesforce account to this subject.
    // Ask for one ({ subject, consentLink: true }) only where it reaches that person alone (README: "Consent links").
    const consent = error.code === 'not_connected' || error.code === 'needs_consent';
    return { statusCode: consent ? 409 : 503, body: JSON.stringify({ error: error.code }) };
  }
}
