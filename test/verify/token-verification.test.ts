/**
 * verify's `token-verification` check: a real token from a local registry, verified as API Gateway's JWT authorizer
 * would against the registry's JWKS, and against the key sets a broken publication would serve.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader, exportJWK, generateKeyPair, type JSONWebKeySet } from 'jose';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { checkTokenVerification } from '../../bin/verify/checks/token-verification';
import type { PrimaryToken } from '../../bin/verify/tokens';
import { contextOf, exampleManifest, startExample, withToken } from './fixture';

describe('verify check token-verification', () => {
  let registry: LocalRegistry;
  let context: Awaited<ReturnType<typeof contextOf>> & { primary: PrimaryToken };
  let jwks: JSONWebKeySet;

  before(async () => {
    registry = await startExample();
    context = await withToken(await contextOf(registry, exampleManifest()), 'AcmeMonitoring');
    jwks = (await (await fetch(String(context.discovered.jwks_uri))).json()) as JSONWebKeySet;
  });
  after(() => registry?.close());

  it("ok on a registry: RS256, signed by the JWKS's first key, its issuer, an exp, the declared audience", async () => {
    const row = await checkTokenVerification(context, jwks);
    assert.equal(row.result, 'ok', row.detail);
    assert.equal(
      row.detail,
      `RS256, kid ${jwks.keys[0].kid} (the JWKS's first), iss, exp; aud ${registry.issuer} (accepted by 1 of 1 route(s))`,
    );
  });

  it('fail when the JWKS lists the next key first, or another key under the signing kid', async () => {
    const reordered = await checkTokenVerification(context, { keys: [...jwks.keys].reverse() });
    assert.equal(reordered.result, 'fail');
    assert.equal(reordered.detail, `signed with kid ${jwks.keys[0].kid}, not the JWKS's first key ${jwks.keys[1].kid}`);

    const kid = decodeProtectedHeader(context.primary.token).kid;
    const impostor = { ...(await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey)), kid, alg: 'RS256' };
    const swapped = await checkTokenVerification(context, { keys: [impostor] });
    assert.equal(swapped.result, 'fail');
    assert.match(swapped.detail, /^does not verify against the JWKS: signature verification failed/);
  });

  it('skip without a token or without a valid JWKS', async () => {
    const { primary: _, ...tokenless } = context;
    assert.deepEqual(
      [(await checkTokenVerification(tokenless, jwks)).result, (await checkTokenVerification(context, undefined)).detail],
      ['skip', 'no valid JWKS'],
    );
  });
});
