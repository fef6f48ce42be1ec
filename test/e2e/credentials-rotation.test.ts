/**
 * On-demand client secret rotation through the local server (what `oauth-registry credentials rotate <client>
 * [--immediate] --local` runs): the previous secret keeps working for the overlap, or stops at once with --immediate,
 * while the new one works at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rotateClientSecret } from '../../bin/commands/credentials-rotate';
import { readCredentials, type LocalRegistry } from '../../bin/local/local-registry';
import { keySchedule } from '../../lambdas/shared/config';
import { basic, exampleManifest, startExample, tokenRequest } from './fixture';

describe('credentials rotate in local mode', () => {
  let registry: LocalRegistry;
  let now = Date.now();
  const manifest = exampleManifest();
  const client = manifest.clients.find((c) => c.name === 'AcmeMonitoring')!;
  before(async () => {
    registry = await startExample({ clock: () => now });
  });
  after(() => registry.close());

  const status = async (secret: string) =>
    (await tokenRequest(registry, { grant_type: 'client_credentials' }, { authorization: basic(client.clientId, secret) })).status;
  const currentSecret = async () => (await readCredentials(registry.secrets, manifest)).AcmeMonitoring.client_secret;
  const rotate = (immediate: boolean) =>
    rotateClientSecret(registry.secrets, client.secretId!, { immediate, schedule: keySchedule(manifest), clock: () => now });

  it('keeps the previous secret working during the overlap, and only until its end', async () => {
    const old = await currentSecret();
    await rotate(false);
    const fresh = await currentSecret();
    assert.notEqual(fresh, old);
    now += 2_000; // past the local server's 1 s cache
    assert.equal(await status(fresh), 200);
    assert.equal(await status(old), 200);
    now += manifest.secretOverlapSecs * 1000;
    assert.equal(await status(old), 401);
    assert.equal(await status(fresh), 200);
  });

  it('with --immediate, refuses the previous secret at once', async () => {
    const old = await currentSecret();
    assert.equal(await status(old), 200);
    await rotate(true);
    const fresh = await currentSecret();
    now += 2_000;
    assert.equal(await status(fresh), 200);
    assert.equal(await status(old), 401, 'the leaked secret is refused within the overlap window');
  });
});
