/** verify's `jwks-next-key` check: the next signing key is published ahead of its use (a real registry's JWKS). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JSONWebKeySet } from 'jose';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { checkJwksNextKey } from '../../bin/verify/checks/jwks-next-key';
import { startExample } from './fixture';

describe('verify check jwks-next-key', () => {
  let registry: LocalRegistry;
  let jwksUri: string;
  let jwks: JSONWebKeySet;

  before(async () => {
    registry = await startExample();
    jwksUri = `${registry.issuer}/.well-known/jwks.json`;
    jwks = (await (await fetch(jwksUri)).json()) as JSONWebKeySet;
  });
  after(() => registry?.close());

  it('ok on a registry: the current key first, the next one published after it', () => {
    const row = checkJwksNextKey({ discovered: { jwks_uri: jwksUri } }, jwks);
    assert.deepEqual(
      { ...row },
      { check: 'jwks-next-key', target: jwksUri, result: 'ok', detail: `current ${jwks.keys[0].kid} first, then ${jwks.keys[1].kid}` },
    );
  });

  it('fail when only the current key is published: the gateway would refuse the next key for up to 2 hours', () => {
    const row = checkJwksNextKey({ discovered: { jwks_uri: jwksUri } }, { keys: jwks.keys.slice(0, 1) });
    assert.equal(row.result, 'fail');
    assert.match(row.detail, new RegExp(`^only the current key ${jwks.keys[0].kid} is published: the next key must be published`));
    assert.match(row.detail, /caches the JWKS for up to 2 hours/);
  });
});
