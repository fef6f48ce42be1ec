/**
 * Rotation through the local server: client secrets overlap then expire; tokens signed with a rotated-out signing
 * key keep verifying through the JWKS (and the protected route) until they expire.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { basic, exampleManifest, startExample, tokenRequest } from './fixture';

describe('rotation in local mode', () => {
  let registry: LocalRegistry;
  let now = Date.now();
  before(async () => {
    registry = await startExample({ clock: () => now });
  });
  after(() => registry.close());

  const token = (clientId: string, secret: string) =>
    tokenRequest(registry, { grant_type: 'client_credentials' }, { authorization: basic(clientId, secret) });

  it('accepts the old and the new client secret during the overlap, only the new one after it', async () => {
    const before = registry.credentials.AcmeMonitoring;
    await registry.rotate('AcmeMonitoring');
    const after = registry.credentials.AcmeMonitoring;
    assert.equal(after.client_id, before.client_id);
    assert.notEqual(after.client_secret, before.client_secret);

    now += 2_000; // past the local cache TTL, so the rotation is seen
    assert.equal((await token(after.client_id, after.client_secret)).status, 200);
    assert.equal((await token(before.client_id, before.client_secret)).status, 200, 'previous secret works during the overlap');

    now += exampleManifest().secretOverlapSecs * 1000;
    assert.equal((await token(after.client_id, after.client_secret)).status, 200);
    const late = await token(before.client_id, before.client_secret);
    assert.equal(late.status, 401, 'previous secret refused after the overlap');
    assert.equal(late.body.error, 'invalid_client');
  });

  it('keeps tokens signed by the previous signing key valid through the JWKS and the protected route', async () => {
    const { client_id, client_secret } = registry.credentials.AcmeMonitoring;
    const old = (await token(client_id, client_secret)).body.access_token as string;
    const oldKid = JSON.parse(Buffer.from(old.split('.')[0], 'base64url').toString()).kid as string;

    await registry.rotate('signing-key');
    now += 2_000;
    const fresh = (await token(client_id, client_secret)).body.access_token as string;
    const freshKid = JSON.parse(Buffer.from(fresh.split('.')[0], 'base64url').toString()).kid as string;
    assert.notEqual(freshKid, oldKid, 'new tokens are signed with the new key');

    const jwks = (await (await fetch(`${registry.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    assert.deepEqual(new Set(jwks.keys.map((k) => k.kid)), new Set([oldKid, freshKid]));

    for (const accessToken of [old, fresh]) {
      const response = await fetch(`${registry.url}/v1/hello`, { headers: { authorization: `Bearer ${accessToken}` } });
      assert.equal(response.status, 200);
    }
  });
});
