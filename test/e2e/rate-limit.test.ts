/**
 * Per-client rate limits through the local server: a client sending twice its `tokensPerMinute` gets 429 with
 * `Retry-After` and an RFC 6749-style body for the excess, while another client keeps getting tokens; the next minute
 * (injected clock) it gets tokens again. A public client (client_id alone) counts only the tokens it was issued, so
 * an attacker's bogus grants under its client_id never refuse its real users.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { issueCode } from '../../lambdas/authorization-server/user-grants';
import type { ClientRegistration } from '../../lambdas/shared/manifest';
import { basic, exampleManifest, startExample, tokenRequest } from './fixture';

const LIMIT = 5;
const PUBLIC: ClientRegistration = {
  name: 'PublicApp',
  clientId: 'public-app',
  grantTypes: ['authorization_code', 'refresh_token'],
  authMethod: 'none',
  scopes: ['incidents.read'],
  accessTokenTtlSecs: 300,
  active: true,
  redirectUris: ['http://127.0.0.1/callback'],
  tokensPerMinute: LIMIT,
};

describe('per-client rate limit in local mode', () => {
  let registry: LocalRegistry;
  // 20 s into a minute: the window ends in 40 s.
  let now = Math.floor(Date.now() / 60_000) * 60_000 + 20_000;
  before(async () => {
    const manifest = exampleManifest();
    const limited = {
      ...manifest,
      clients: [...manifest.clients.map((c) => (c.name === 'AcmeMonitoring' ? { ...c, tokensPerMinute: LIMIT } : c)), PUBLIC],
    };
    registry = await startExample({ manifest: limited, clock: () => now });
  });
  after(() => registry.close());

  const token = (name: string) => {
    const { client_id, client_secret } = registry.credentials[name];
    const form = { grant_type: 'client_credentials' };
    return name === 'ReportingJob'
      ? tokenRequest(registry, { ...form, client_id, client_secret })
      : tokenRequest(registry, form, { authorization: basic(client_id, client_secret) });
  };

  it('refuses the excess of one client with 429 and Retry-After while another keeps getting tokens', async () => {
    const limited: number[] = [];
    const other: number[] = [];
    let refusal: Awaited<ReturnType<typeof token>> | undefined;
    for (let i = 0; i < 2 * LIMIT; i++) {
      const answer = await token('AcmeMonitoring');
      limited.push(answer.status);
      if (answer.status === 429) refusal ??= answer;
      other.push((await token('ReportingJob')).status);
    }
    assert.deepEqual(limited, [...Array(LIMIT).fill(200), ...Array(LIMIT).fill(429)]);
    assert.deepEqual(other, Array(2 * LIMIT).fill(200));
    assert.equal(refusal!.headers.get('retry-after'), '40');
    assert.equal(refusal!.headers.get('cache-control'), 'no-store');
    assert.deepEqual(refusal!.body, {
      error: 'too_many_requests',
      error_description: `this client may get ${LIMIT} tokens a minute; retry after 40 s`,
    });
  });

  it('gives tokens again in the next minute', async () => {
    now += 40_000;
    assert.equal((await token('AcmeMonitoring')).status, 200);
  });

  it('counts only authenticated requests: a wrong secret neither counts nor is told about the limit', async () => {
    const { client_id } = registry.credentials.AcmeMonitoring;
    for (let i = 0; i < 2 * LIMIT; i++) {
      const wrong = await tokenRequest(registry, { grant_type: 'client_credentials' }, { authorization: basic(client_id, 'wrong') });
      assert.equal(wrong.status, 401);
    }
    for (let i = 1; i < LIMIT; i++) assert.equal((await token('AcmeMonitoring')).status, 200, `token ${i + 1} of this minute`);
    assert.equal((await token('AcmeMonitoring')).status, 429);
  });

  it("a public client: an attacker's bogus refresh requests under its client_id never 429 its real user", async () => {
    now += 60_000; // a fresh window
    const attack = () => tokenRequest(registry, { grant_type: 'refresh_token', refresh_token: 'bogus', client_id: PUBLIC.clientId });
    for (let i = 0; i < 3 * LIMIT; i++) assert.equal((await attack()).status, 400);

    // The real user signs in (the code as the authorize endpoint issues it), redeems it, then refreshes.
    const verifier = 'v'.repeat(43);
    const code = await issueCode(registry.state, () => now, {
      clientId: PUBLIC.clientId,
      redirectUri: PUBLIC.redirectUris![0],
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
      scope: 'incidents.read',
      sub: 'https://idp.example|alice',
    });
    const redeemed = await tokenRequest(registry, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: PUBLIC.redirectUris![0],
      client_id: PUBLIC.clientId,
    });
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    let refreshToken = redeemed.body.refresh_token as string;
    const refresh = () => tokenRequest(registry, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: PUBLIC.clientId });
    for (let i = 1; i < LIMIT; i++) {
      const answer = await refresh();
      assert.equal(answer.status, 200, `token ${i + 1} of this minute: ${JSON.stringify(answer.body)}`);
      refreshToken = answer.body.refresh_token as string;
    }
    // Its own tokens do count: the limit still holds, and refusing changes nothing (the refresh token stays valid).
    assert.equal((await refresh()).status, 429);
    assert.equal((await attack()).status, 429);
    now += 60_000;
    assert.equal((await refresh()).status, 200);
  });
});
