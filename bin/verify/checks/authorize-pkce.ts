/**
 * Check `authorize-pkce`: with user sign-in, the authorization endpoint refuses a request without `code_challenge`
 * (PKCE required), answering an error or redirecting back to the client with one, never on to sign-in.
 */
import { serverUrl } from '../../../lambdas/shared/routes';
import { PATH_PLACEHOLDER } from '../route-request';
import type { VerifyContext } from '../verify-context';
import { attempt, row, type VerifyRow } from '../verify-report';

export async function checkAuthorizePkce({
  issuer,
  manifest,
  discovered,
  get,
}: Pick<VerifyContext, 'issuer' | 'manifest' | 'discovered' | 'get'>): Promise<VerifyRow> {
  const endpoint = String(discovered.authorization_endpoint ?? serverUrl(issuer, 'authorize'));
  if (!manifest.userAuthentication) return row('authorize-pkce', '-', 'skip', 'user sign-in is not configured');
  const client = manifest.clients.find((c) => c.active && c.grantTypes.includes('authorization_code') && c.redirectUris?.length);
  if (!client) return row('authorize-pkce', endpoint, 'skip', 'no active authorization_code client with a redirect URI');
  const redirectUri = client.redirectUris![0];
  return attempt('authorize-pkce', endpoint, async () => {
    const url = new URL(endpoint);
    // Everything a valid request carries but code_challenge.
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: redirectUri,
      state: PATH_PLACEHOLDER,
      code_challenge_method: 'S256',
    }).toString();
    const response = await get(url.href);
    const location = response.headers.get('location');
    if (response.status >= 400 && response.status < 500) return ['ok', `${client.name} without code_challenge: HTTP ${response.status}`];
    if (response.status >= 300 && response.status < 400 && location) {
      const back = new URL(location, endpoint);
      const error = back.searchParams.get('error');
      if (`${back.origin}${back.pathname}` === redirectUri.split('?')[0] && error) {
        return ['ok', `${client.name} without code_challenge: refused with error=${error}`];
      }
      return ['fail', `a request without code_challenge was sent on to ${back.origin}${back.pathname}`];
    }
    return ['fail', `HTTP ${response.status} for a request without code_challenge (expected a refusal)`];
  });
}
