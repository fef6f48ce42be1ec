/**
 * verify's `authorize-pkce` check: a real registry with user sign-in refuses an authorization request without
 * code_challenge; a server that sends it on to sign-in, or accepts it, fails the row.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { checkAuthorizePkce } from '../../bin/verify/checks/authorize-pkce';
import { WEB_REDIRECT_URI } from '../../testing/example-app';
import { contextOf, declaredManifest, exampleManifest, serve, startExample, type Served } from './fixture';

describe('verify check authorize-pkce', () => {
  let registry: LocalRegistry;
  let lax: Served;
  const asked: URLSearchParams[] = [];

  before(async () => {
    registry = await startExample({ manifest: declaredManifest() });
    // An authorization endpoint without PKCE: /forwarding sends the request on to sign-in, /accepting serves a page.
    lax = await serve((_req, res, url) => {
      asked.push(url.searchParams);
      if (url.pathname === '/forwarding') res.writeHead(302, { location: 'https://upstream.example/authorize?client_id=x' }).end();
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<form>sign in</form>');
    });
  });
  after(() => Promise.all([registry?.close(), lax?.close()]));

  it("ok on a registry with user sign-in: refused, back to the client's redirect URI with an error", async () => {
    const context = await contextOf(registry, declaredManifest());
    const row = await checkAuthorizePkce(context);
    assert.deepEqual(
      { ...row },
      {
        check: 'authorize-pkce',
        target: `${registry.issuer}/oauth2/authorize`,
        result: 'ok',
        detail: 'WebApp without code_challenge: refused with error=invalid_request',
      },
    );
  });

  it('fail where a request without code_challenge is sent on to sign-in or accepted', async () => {
    const context = await contextOf(registry, declaredManifest());
    const forwarding = await checkAuthorizePkce({ ...context, discovered: { authorization_endpoint: `${lax.url}/forwarding` } });
    assert.deepEqual(
      [forwarding.result, forwarding.detail],
      ['fail', 'a request without code_challenge was sent on to https://upstream.example/authorize'],
    );
    const accepting = await checkAuthorizePkce({ ...context, discovered: { authorization_endpoint: `${lax.url}/accepting` } });
    assert.deepEqual([accepting.result, accepting.detail], ['fail', 'HTTP 200 for a request without code_challenge (expected a refusal)']);
    assert.deepEqual(
      asked.map((q) => [q.get('client_id'), q.get('redirect_uri'), q.get('code_challenge_method'), q.has('code_challenge')]),
      [
        ['web-app', WEB_REDIRECT_URI, 'S256', false],
        ['web-app', WEB_REDIRECT_URI, 'S256', false],
      ],
    );
  });

  it('skip without user sign-in', async () => {
    const row = await checkAuthorizePkce(await contextOf(registry, exampleManifest()));
    assert.deepEqual([row.target, row.result, row.detail], ['-', 'skip', 'user sign-in is not configured']);
  });
});
