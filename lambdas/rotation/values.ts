/**
 * The values of the registry's secrets, by `oauth-registry:kind`: what a rotation (or the bootstrap) writes, and what
 * testSecret checks before it becomes AWSCURRENT. A signing-key value is a key ring (`../shared/key-schedule.ts`).
 */
import { randomBytes } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK } from 'jose';
import { CLIENT_SECRET_BYTES, CLIENT_SECRET_PATTERN, parseClientSecretValue, serializeClientSecretValue } from '../shared/client-secret';
import { CACHE_TTL_SECS } from '../shared/defaults';
import {
  KEY_RETIREMENT_SKEW_SECS,
  firstKeyRing,
  isKeyRingValue,
  loadKeyRing,
  readKeyRing,
  rotateKeyRing,
  serializeKeyRing,
  signingKeyAt,
  stopsSigningAt,
  type KeyRing,
  type KeySchedule,
} from '../shared/key-schedule';
import { CLIENT_ID_TAG, SECRET_KIND_TAG, type SecretKind } from '../shared/manifest';
import type { SecretDescription, SecretStore } from '../shared/ports';

/** What making or testing a value may look at: the secret, its other versions, the time and the key schedule. */
export interface ValueContext {
  readonly secrets: SecretStore;
  readonly secretId: string;
  readonly description: SecretDescription;
  readonly nowMs: number;
  readonly schedule: KeySchedule;
}

export function kindOf(description: SecretDescription): SecretKind {
  const kind = description.tags[SECRET_KIND_TAG];
  if (kind === 'client-secret' || kind === 'signing-key' || kind === 'link-key') return kind;
  throw new Error(`secret ${description.name} has no valid ${SECRET_KIND_TAG} tag (got ${JSON.stringify(kind)})`);
}

function taggedClientId(description: SecretDescription): string {
  const clientId = description.tags[CLIENT_ID_TAG];
  if (!clientId) throw new Error(`client secret ${description.name} has no ${CLIENT_ID_TAG} tag`);
  return clientId;
}

/**
 * The next value of the secret: a fresh client secret or link key; for a signing key, the AWSCURRENT ring rotated
 * (a new key, retired keys dropped), or, when there is no AWSCURRENT yet, a first ring (a key active now, a next key).
 */
export async function newValue(ctx: ValueContext): Promise<string> {
  const { description } = ctx;
  const kind = kindOf(description);
  if (kind === 'client-secret') {
    const clientSecret = randomBytes(CLIENT_SECRET_BYTES).toString('base64url');
    return serializeClientSecretValue({ client_id: taggedClientId(description), client_secret: clientSecret });
  }
  if (kind === 'link-key') return JSON.stringify(generateLinkKey());
  const nowSecs = Math.floor(ctx.nowMs / 1000);
  const current = await currentRing(ctx);
  if (!current) return serializeKeyRing(firstKeyRing(await generateSigningKey(), await generateSigningKey(), nowSecs, ctx.schedule));
  return serializeKeyRing(rotateKeyRing(current, await generateSigningKey(), nowSecs, ctx.schedule));
}

/** The ring AWSCURRENT holds (a legacy single key migrates, with its AWSPREVIOUS key), or undefined when it has none. */
async function currentRing({ secrets, secretId }: ValueContext): Promise<KeyRing | undefined> {
  const ring = await loadKeyRing(secrets, secretId);
  return ring && ring.keys.length > 0 ? ring : undefined;
}

/** Bytes of the HS256 key consent links of third-party connections are signed with (256 bits). */
export const LINK_KEY_BYTES = 32;

/** A random symmetric JWK for HS256 with a random `kid` (links name the key that signed them). */
export function generateLinkKey(): JWK {
  return { kty: 'oct', k: randomBytes(LINK_KEY_BYTES).toString('base64url'), alg: 'HS256', kid: randomBytes(8).toString('hex') };
}

/** A private RSA 2048 JWK for RS256, its `kid` the RFC 7638 thumbprint. */
export async function generateSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' };
}

/** Throws when `value` is not a good value for the secret; a signing-key ring is checked against AWSCURRENT's. */
export async function testValue(ctx: ValueContext, value: string): Promise<void> {
  const { description } = ctx;
  const kind = kindOf(description);
  const parsed = JSON.parse(value) as Record<string, unknown>;
  if (kind === 'client-secret') {
    if (parsed.client_id !== taggedClientId(description)) throw new Error(`client secret ${description.name} names another client`);
    const secret = parseClientSecretValue(value);
    if (!secret || !CLIENT_SECRET_PATTERN.test(secret.client_secret)) {
      throw new Error(`client secret ${description.name} is malformed`);
    }
    return;
  }
  if (kind === 'link-key') {
    const k = (parsed as JWK).k;
    if (parsed.kty !== 'oct' || typeof k !== 'string' || Buffer.from(k, 'base64url').length !== LINK_KEY_BYTES || !parsed.kid) {
      throw new Error(`link key ${description.name} is not a ${LINK_KEY_BYTES}-byte oct JWK with a kid`);
    }
    return;
  }
  await testKeyRing(ctx, value);
}

async function testKeyRing(ctx: ValueContext, value: string): Promise<void> {
  const name = ctx.description.name;
  if (!isKeyRingValue(value)) throw new Error(`signing key ${name} is not a key ring ({"keys":[...]})`);
  const ring = readKeyRing({ value, createdAtSecs: Math.floor(ctx.nowMs / 1000) });
  const nowSecs = Math.floor(ctx.nowMs / 1000);
  if (new Set(ring.keys.map((k) => k.jwk.kid)).size !== ring.keys.length) throw new Error(`signing key ring ${name} repeats a kid`);
  if (!signingKeyAt(ring, nowSecs)) throw new Error(`signing key ring ${name} has no key active now`);
  // Every key must sign a token its public half verifies, under the kid it claims.
  for (const { jwk } of ring.keys) await testSigningKey(name, jwk, ctx.nowMs);
  // A key AWSCURRENT still needs (it signs, or tokens it signed may live) must not be dropped: a ring written before an
  // emergency rotation replaced the keys (`assertHoldsCurrentSigner`) fails here too.
  const current = await currentRing(ctx);
  // A rotation that stalled (its pending ring written long ago, retried now) must not promote a key that would sign
  // before verifiers have seen it: cancel it (`aws secretsmanager cancel-rotate-secret`) and rotate again.
  const earliest = nowSecs + ctx.schedule.prePublishSecs + CACHE_TTL_SECS;
  for (const key of current ? ring.keys : []) {
    if (current!.keys.some((k) => k.jwk.kid === key.jwk.kid) || key.activatesAt >= earliest) continue;
    throw new Error(
      `signing key ring ${name} adds key ${key.jwk.kid}, which would sign at ${key.activatesAt}, before it has been ` +
        `published ${ctx.schedule.prePublishSecs + CACHE_TTL_SECS} s (a stale rotation): cancel this rotation and rotate again`,
    );
  }
  const horizon = nowSecs - ctx.schedule.longestTokenTtlSecs - KEY_RETIREMENT_SKEW_SECS;
  for (const key of current?.keys ?? []) {
    if (ring.keys.some((k) => k.jwk.kid === key.jwk.kid)) continue;
    const stopped = stopsSigningAt(current!, key);
    if (stopped === undefined || stopped > horizon) {
      throw new Error(`signing key ring ${name} drops key ${key.jwk.kid}, which tokens still live may need`);
    }
  }
}

/**
 * Throws when a pending ring lacks the key AWSCURRENT's ring signs with now: a ring written before an emergency rotation
 * replaced the keys (a rotation retried after it), which would bring the revoked keys back. No AWSCURRENT: nothing to hold.
 */
export async function assertHoldsCurrentSigner(ctx: ValueContext, value: string): Promise<void> {
  const current = await currentRing(ctx);
  const signer = current && signingKeyAt(current, Math.floor(ctx.nowMs / 1000));
  if (!signer || !isKeyRingValue(value)) return;
  if (readKeyRing({ value, createdAtSecs: 0 }).keys.some((k) => k.jwk.kid === signer.jwk.kid)) return;
  throw new Error(
    `signing key ring ${ctx.description.name} (pending) lacks the current signing key ${signer.jwk.kid}: it predates an ` +
      `emergency rotation or a stage moved by hand; cancel this rotation (aws secretsmanager cancel-rotate-secret) and rotate again`,
  );
}

async function testSigningKey(name: string, jwk: JWK, nowMs: number): Promise<void> {
  if (jwk.kty !== 'RSA' || !jwk.d || jwk.kid !== (await calculateJwkThumbprint(jwk))) {
    throw new Error(`signing key ${name} is not a private RSA JWK with its thumbprint as kid`);
  }
  const { kty, n, e, kid } = jwk;
  const now = Math.floor(nowMs / 1000);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(await importJWK(jwk, 'RS256'));
  await jwtVerify(token, await importJWK({ kty, n, e }, 'RS256'), { algorithms: ['RS256'], currentDate: new Date(nowMs) });
}
