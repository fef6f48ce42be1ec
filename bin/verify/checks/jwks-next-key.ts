/** Check `jwks-next-key`: the key that signs next is published ahead of its use, after the current one. */
import type { JSONWebKeySet } from 'jose';
import type { VerifyContext } from '../verify-context';
import { row, type VerifyRow } from '../verify-report';

export function checkJwksNextKey({ discovered }: Pick<VerifyContext, 'discovered'>, jwks: JSONWebKeySet): VerifyRow {
  const jwksUri = String(discovered.jwks_uri);
  const keys = jwks.keys;
  if (keys.length >= 2) {
    const next = keys
      .slice(1)
      .map((k) => k.kid)
      .join(', ');
    return row('jwks-next-key', jwksUri, 'ok', `current ${keys[0].kid} first, then ${next}`);
  }
  // The key schedule always publishes the next key a rotation period before it signs (key-schedule.ts).
  const detail =
    `only the current key ${keys[0].kid} is published: the next key must be published before it signs, or ` +
    'API Gateway, which caches the JWKS for up to 2 hours, will refuse the tokens it signs';
  return row('jwks-next-key', jwksUri, 'fail', detail);
}
