import {
  ConnectionTokenError,
  connectionFetch,
  getConnectionToken,
  type ProtectedRouteEvent,
  type ProtectedRouteResult,
} from 'oauth-registry/runtime';

/**
 * An example route that reads a third-party API for the caller, as the README shows it: granted the `Salesforce`
 * connection's tokens (`salesforce.grantTokenAccess(route)`) and proxy (`salesforce.grantProxyAccess(route)`).
 * `?via=proxy` calls through the registry's proxy (SigV4-signed); otherwise it gets the token and calls the API itself.
 */
export async function handler(event: ProtectedRouteEvent): Promise<ProtectedRouteResult> {
  const subject = event.requestContext.authorizer.jwt.claims.sub ?? event.requestContext.authorizer.jwt.claims.client_id;
  try {
    if (event.queryStringParameters?.via === 'proxy') {
      const response = await connectionFetch('Salesforce', '/sobjects/Account', { subject });
      return { statusCode: response.status, headers: { 'content-type': 'application/json' }, body: await response.text() };
    }
    const { access_token } = await getConnectionToken('Salesforce', { subject });
    const response = await fetch(`${process.env.SALESFORCE_API ?? 'https://example.my.salesforce.com'}/sobjects/Account`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    return { statusCode: response.status, headers: { 'content-type': 'application/json' }, body: await response.text() };
  } catch (error) {
    if (error instanceof ConnectionTokenError && error.code === 'needs_consent') {
      return { statusCode: 409, body: JSON.stringify({ error: error.code, consent_url: error.consentUrl }) };
    }
    throw error;
  }
}
