/**
 * Consents started side by side in one browser (an admin opening the links of alice and bob in two tabs) each keep
 * their own browser binding: both callbacks complete, and each one clears only its own cookie. A callback from a
 * browser holding only another consent's cookie is still refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONSENT_COOKIE, consentCookieName } from '../../lambdas/connections/consent-cookie';
import { connection, startHarness, type Harness } from '../../testing/connections/harness';
import { browse, cookieFetch, SECRET_BASIC, startThirdParty, type ThirdParty } from '../../testing/connections/third-party';

describe('two consents in one browser', () => {
  let ours: Harness;
  let provider: ThirdParty;

  before(async () => {
    ours = await startHarness();
    provider = await startThirdParty({ redirectUris: [ours.callbackUrl('Mail')] });
    await ours.add(connection('Mail', { provider: { issuer: provider.issuer }, mode: 'perUser' }), {
      client_id: 'basic-client',
      client_secret: SECRET_BASIC,
    });
  });
  after(async () => {
    await ours.close();
    await provider.close();
  });

  /** Opens a consent link in the browser `jar`: the provider URL it is sent to, and the cookie it got. */
  async function open(jar: Map<string, string>, subject: string): Promise<{ authorizeUrl: string; setCookie: string }> {
    const response = await cookieFetch(jar, await ours.link('Mail', subject));
    assert.equal(response.status, 302);
    const authorizeUrl = response.headers.get('location')!;
    const state = new URL(authorizeUrl).searchParams.get('state')!;
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith(`${consentCookieName(state)}=`));
    assert.ok(setCookie, `a cookie named after the state: ${response.headers.getSetCookie().join(' | ')}`);
    return { authorizeUrl, setCookie };
  }

  it("opening alice's and bob's links, then completing both: both connected", async () => {
    const jar = new Map<string, string>();
    const alice = await open(jar, 'alice');
    const bob = await open(jar, 'bob');
    for (const { setCookie } of [alice, bob]) {
      assert.match(setCookie, /; Path=\/connections\/Mail\/; Max-Age=600; HttpOnly; SameSite=Lax$/);
      assert.match(setCookie, new RegExp(`^${CONSENT_COOKIE}_[\\w-]{16}=[\\w-]{43};`));
    }
    assert.equal([...jar.keys()].filter((name) => name.startsWith(CONSENT_COOKIE)).length, 2);

    // Alice's tab first, though bob's link was opened last.
    const first = await browse(alice.authorizeUrl, { cookies: jar, login: 'alice' });
    assert.equal(first.response.status, 200, first.body);
    assert.match(first.body, /ready for alice/);
    const cleared = first.response.headers.getSetCookie();
    assert.equal(cleared.length, 1);
    assert.equal(cleared[0].split('=')[0], alice.setCookie.split('=')[0], "the callback clears only its own consent's cookie");
    assert.match(cleared[0], /Max-Age=0/);

    const second = await browse(bob.authorizeUrl, { cookies: jar, login: 'bob' });
    assert.equal(second.response.status, 200, second.body);
    assert.match(second.body, /ready for bob/);

    for (const subject of ['alice', 'bob']) {
      const token = await ours.server.invoke({ action: 'token', connection: 'Mail', subject });
      assert.ok('access_token' in token, `${subject}: ${JSON.stringify(token)}`);
    }
  });

  it("a browser holding only another consent's cookie is still refused", async () => {
    const admin = new Map<string, string>();
    const other = new Map<string, string>();
    const started = await open(admin, 'carol');
    await open(other, 'dave'); // the other browser has a consent cookie of its own, not carol's
    const refused = await browse(started.authorizeUrl, { cookies: other, login: 'carol' });
    assert.equal(refused.response.status, 400);
    assert.match(refused.body, /started in another browser/);
  });
});
