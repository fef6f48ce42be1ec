/**
 * Consent names the resource (RFC 8707) a sign-in is for, and a remembered consent holds for that resource only:
 * driven through the server's authorize, callback and consent endpoints, with a stub upstream OpenID provider.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAuthorizationServer } from '../../lambdas/authorization-server/server';
import { MemoryStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import { silentLogger } from '../../lambdas/shared/log';
import { apiEvent, structured } from '../../testing/events';
import {
  SIGN_IN_ISSUER,
  SIGN_IN_REDIRECT_URI,
  SIGN_IN_WEB_CLIENT,
  signInRegistry,
  startStubOidcUpstream,
  type StubOidcUpstream,
} from '../../testing/stub-oidc-upstream';

const ISSUER = SIGN_IN_ISSUER;
const REDIRECT_URI = SIGN_IN_REDIRECT_URI;
const WEB = SIGN_IN_WEB_CLIENT;
const MCP_SERVERS = [
  { name: 'Incidents', path: '/mcp', scopes: ['incidents.read'], resourceName: 'Incident tools' },
  { name: 'Billing', path: '/billing-mcp', scopes: ['incidents.read'], resourceName: 'Billing tools' },
];

describe('consent and the resource', () => {
  let upstream: StubOidcUpstream;
  let handle: ReturnType<typeof createAuthorizationServer>['handle'];

  before(async () => {
    upstream = await startStubOidcUpstream('registry');
    const { config, secrets } = await signInRegistry(upstream, 'registry', { mcpServers: MCP_SERVERS });
    const registrations = new ManifestRegistrationStore({ clients: [WEB] });
    ({ handle } = createAuthorizationServer({ config, secrets, registrations, state: new MemoryStateStore(), log: silentLogger }));
  });
  after(() => upstream.close());

  /** Authorize for `resource`, sign in upstream: where the callback sends the browser, and the browser's cookie. */
  async function signIn(resource: string): Promise<{ location: URL; cookie: string }> {
    const query = new URLSearchParams({
      client_id: WEB.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'incidents.read',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      resource,
    });
    const authorize = structured(await handle(apiEvent({ path: '/oauth2/authorize', query: query.toString() })));
    assert.equal(authorize.statusCode, 302, authorize.body);
    const upstreamUrl = new URL(String(authorize.headers?.Location));
    upstream.setNonce(upstreamUrl.searchParams.get('nonce')!);
    const cookie = (authorize.cookies ?? []).map((c) => c.split(';')[0]).join('; ');
    const callbackQuery = new URLSearchParams({ code: 'upstream-code', state: upstreamUrl.searchParams.get('state')! });
    const callback = structured(await handle(apiEvent({ path: '/oauth2/callback', headers: { cookie }, query: callbackQuery.toString() })));
    assert.equal(callback.statusCode, 303, callback.body);
    return { location: new URL(String(callback.headers?.Location)), cookie };
  }

  /** Shows the consent page at `location` and approves it; returns the page. */
  async function approve(location: URL, cookie: string): Promise<string> {
    const page = structured(await handle(apiEvent({ path: location.pathname, headers: { cookie }, query: location.search.slice(1) })));
    assert.equal(page.statusCode, 200);
    const html = page.body ?? '';
    const hidden = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)![1];
    const form = new URLSearchParams({ request: hidden('request'), csrf: hidden('csrf'), decision: 'approve' });
    const decided = structured(
      await handle(
        apiEvent({
          method: 'POST',
          path: '/oauth2/consent',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        }),
      ),
    );
    assert.match(String(decided.headers?.Location), /^https:\/\/app\.example\.test\/callback\?code=/);
    return html;
  }

  it('shows the MCP server by name and URL, and remembers the consent for that resource only', async () => {
    const incidents = `${ISSUER}/mcp`;
    const billing = `${ISSUER}/billing-mcp`;
    const first = await signIn(incidents);
    assert.equal(first.location.pathname, '/oauth2/consent', first.location.href);
    const page = await approve(first.location, first.cookie);
    assert.match(page, /<strong>Incident tools<\/strong> at <code>https:\/\/auth\.example\.test\/mcp<\/code>/);

    const again = await signIn(incidents);
    assert.equal(again.location.origin + again.location.pathname, REDIRECT_URI, 'remembered for the same resource');
    const other = await signIn(billing);
    assert.equal(other.location.pathname, '/oauth2/consent', 'another resource asks again');
    assert.match(await approve(other.location, other.cookie), /<strong>Billing tools<\/strong>/);
  });
});
