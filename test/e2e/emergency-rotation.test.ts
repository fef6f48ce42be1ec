/**
 * Emergency signing-key rotation through the local server (what `oauth-registry keys rotate --emergency --local`
 * calls): a new key signs at once, every old key leaves the JWKS and introspection refuses their tokens at once; the
 * emulated gateway, which refetches the JWKS on an unknown kid, accepts new tokens at once and refuses the old ones
 * from that refetch on (API Gateway's own cache may keep the old JWKS up to 2 hours: the README's "Break-glass").
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { emergencyConsequences } from '../../bin/commands/keys';
import { type LocalRegistry } from '../../bin/local/local-registry';
import { emergencyRotateSigningKey, type EmergencyRotationResult } from '../../lambdas/rotation/emergency';
import { createRotationHandler } from '../../lambdas/rotation/rotation';
import { keySchedule } from '../../lambdas/shared/config';
import { silentLogger } from '../../lambdas/shared/log';
import { basic, exampleManifest, startExample, tokenRequest } from './fixture';

describe('emergency signing-key rotation in local mode', () => {
  let registry: LocalRegistry;
  let now = Date.now();
  const manifest = exampleManifest();
  before(async () => {
    registry = await startExample({ clock: () => now });
  });
  after(() => registry.close());

  const token = async (): Promise<string> => {
    const { client_id: id, client_secret: secret } = registry.credentials.AcmeMonitoring;
    const answer = await tokenRequest(registry, { grant_type: 'client_credentials' }, { authorization: basic(id, secret) });
    assert.equal(answer.status, 200);
    return answer.body.access_token as string;
  };
  const callRoute = async (accessToken: string) =>
    (await fetch(`${registry.url}/v1/hello`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
  const jwksKids = async () =>
    ((await (await fetch(`${registry.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
  const introspect = async (accessToken: string) => {
    const { client_id: id, client_secret: secret } = registry.credentials.AcmeMonitoring;
    const response = await fetch(`${registry.url}/oauth2/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(id, secret) },
      body: new URLSearchParams({ token: accessToken }).toString(),
    });
    return ((await response.json()) as { active: boolean }).active;
  };

  let oldToken: string;
  let oldKids: string[];
  let result: EmergencyRotationResult;

  it('replaces every key: the old ones leave the JWKS and introspection refuses their tokens; a new key signs at once', async () => {
    oldToken = await token();
    assert.equal(await callRoute(oldToken), 200, 'the gateway has cached the JWKS with the old keys');
    oldKids = await jwksKids();

    result = await emergencyRotateSigningKey(registry.secrets, manifest.signingKeySecretId, {
      schedule: keySchedule(manifest),
      state: registry.state,
      clock: () => now,
    });
    assert.deepEqual([...result.removedKids].sort(), [...oldKids].sort());
    now += 2_000; // past the local server's 1 s cache

    const kids = await jwksKids();
    assert.deepEqual(kids, [result.signingKid, result.nextKid]);
    assert.ok(!kids.some((kid) => oldKids.includes(kid)));
    assert.equal(await introspect(oldToken), false);
    assert.equal(await callRoute(oldToken), 200, 'documented: the gateway accepts them until it fetches the JWKS again');
  });

  it('new tokens pass the gateway at once (it refetches on an unknown kid), and from then on it refuses the old ones', async () => {
    const newToken = await token();
    assert.equal(decodeProtectedHeader(newToken).kid, result.signingKid);
    assert.equal(await callRoute(newToken), 200);
    assert.equal(await introspect(newToken), true);
    assert.equal(await callRoute(oldToken), 401);
  });

  it('prints what it removed and how long gateways may disagree', () => {
    const text = emergencyConsequences(result, false);
    assert.match(text, new RegExp(`removed from the JWKS: ${oldKids[0]}`));
    assert.match(text, /API Gateway caches the JWKS for up to 2 hours/);
    assert.match(text, /update each JWT authorizer/);
  });

  it('during a scheduled rotation: the pending ring is unstaged, and the retried rotation publishes no revoked key', async () => {
    const secretId = manifest.signingKeySecretId;
    const schedule = keySchedule(manifest);
    const rotation = createRotationHandler({
      secrets: registry.secrets,
      state: registry.state,
      clock: () => now,
      schedule,
      log: silentLogger,
    });
    await rotation({ SecretId: secretId, ClientRequestToken: 'stalled', Step: 'createSecret' }); // ...and it stalls
    now += 2_000;
    const publishedWhileStalled = await jwksKids();
    assert.equal(publishedWhileStalled.length, 3, 'createSecret published its new key');

    const second = await emergencyRotateSigningKey(registry.secrets, secretId, { schedule, state: registry.state, clock: () => now });
    assert.equal((await registry.secrets.describeSecret(secretId)).versionStages.stalled, undefined, 'no longer AWSPENDING');
    assert.deepEqual([...second.removedKids].sort(), [...publishedWhileStalled].sort());
    // Secrets Manager retries the stalled rotation: it rotates the new ring now, never bringing a revoked key back.
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
      await rotation({ SecretId: secretId, ClientRequestToken: 'stalled', Step });
    }
    now += 2_000;
    const kids = await jwksKids();
    assert.ok(kids.includes(second.signingKid));
    assert.deepEqual(
      kids.filter((kid) => second.removedKids.includes(kid) || oldKids.includes(kid)),
      [],
    );
    assert.equal(kids.length, 3, 'the retried rotation added its own new key');
    assert.equal(decodeProtectedHeader(await token()).kid, second.signingKid);
  });

  it('refuses to rotate a secret that is not a signing key', async () => {
    const clientSecretId = manifest.clients[0].secretId!;
    await assert.rejects(
      emergencyRotateSigningKey(registry.secrets, clientSecretId, { schedule: keySchedule(manifest), state: registry.state }),
      /is not a signing-key secret \(its kind is "client-secret"\)/,
    );
  });
});
