/**
 * Rotation through the local server: client secrets overlap then expire; a signing key is published before it signs,
 * so the emulated gateway (2-hour JWKS cache, no refetch on an unknown kid) verifies it from its first token, and tokens
 * of the key it replaced keep verifying.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { keySchedule } from '../../lambdas/shared/config';
import { ROTATION_SLACK_SECS, keyLeadSecs } from '../../lambdas/shared/key-schedule';
import { basic, exampleManifest, startExample, tokenRequest } from './fixture';

describe('rotation in local mode', () => {
  let registry: LocalRegistry;
  let now = Date.now();
  before(async () => {
    registry = await startExample({ clock: () => now, jwksRefetchOnUnknownKid: false });
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

  it("pre-publishes the next signing key, so the gateway's cached JWKS verifies it from its first token", async () => {
    const { client_id, client_secret } = registry.credentials.AcmeMonitoring;
    const issue = async () => (await token(client_id, client_secret)).body.access_token as string;
    const kidOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()).kid as string;
    const hello = (jwt: string) => fetch(`${registry.url}/v1/hello`, { headers: { authorization: `Bearer ${jwt}` } });
    const published = async () =>
      ((await (await fetch(`${registry.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    const ring = async () => {
      const current = await registry.secrets.getSecretVersion(exampleManifest().signingKeySecretId, 'AWSCURRENT');
      return (JSON.parse(current!.value) as { keys: { jwk: { kid: string }; activatesAt: number }[] }).keys;
    };

    const first = await issue();
    const [signer, next] = await ring();
    assert.equal(kidOf(first), signer.jwk.kid);
    assert.deepEqual(await published(), [signer.jwk.kid, next.jwk.kid], 'the next key is published from the start');

    const rotatedAt = Math.floor(now / 1000);
    await registry.rotate('signing-key');
    now += 2_000;
    assert.equal(kidOf(await issue()), signer.jwk.kid, 'a rotation adds a key; it does not switch the signer');
    const added = (await ring()).at(-1)!;
    const lead = exampleManifest().signingKeyRotationDays * 86_400 + ROTATION_SLACK_SECS;
    assert.equal(keyLeadSecs(keySchedule(exampleManifest())), lead);
    assert.equal(added.activatesAt, rotatedAt + lead, 'it signs a full period plus a day of slack later');

    now = next.activatesAt * 1000 - 60_000; // a minute before the switch, the gateway fetches the JWKS and keeps it 2 h
    const lastOfFirst = await issue();
    assert.equal((await hello(lastOfFirst)).status, 200);
    now += 62_000;
    const fresh = await issue();
    assert.equal(kidOf(fresh), next.jwk.kid, 'the next key signs from its activatesAt');
    assert.deepEqual(await published(), [next.jwk.kid, added.jwk.kid, signer.jwk.kid]);
    // The emulated gateway does not refetch for an unknown kid: the key it verifies with came in the cached JWKS.
    for (const accessToken of [fresh, lastOfFirst]) assert.equal((await hello(accessToken)).status, 200);
  });
});
