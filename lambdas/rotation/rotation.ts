/**
 * Secrets Manager rotation for the registry's secrets, per AWS's rotation Lambda contract: four steps, each called with
 * `{ SecretId, ClientRequestToken, Step }`, each idempotent because Secrets Manager retries. The secret's
 * `oauth-registry:kind` tag says what to generate: a client secret, an RSA signing key or a consent-link key.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK } from 'jose';
import { CLIENT_SECRET_BYTES, CLIENT_SECRET_PATTERN, parseClientSecretValue, serializeClientSecretValue } from '../shared/client-secret';
import { silentLogger, createJsonLogger, type Logger } from '../shared/log';
import { CLIENT_ID_TAG, SECRET_KIND_TAG, type SecretKind } from '../shared/manifest';
import type { Clock, SecretDescription, SecretStore } from '../shared/ports';

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

/** The event Secrets Manager invokes a rotation function with. */
export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: RotationStep | string;
}

export type RotationHandler = (event: RotationEvent) => Promise<void>;

export function createRotationHandler(deps: { secrets: SecretStore; clock?: Clock; log?: Logger }): RotationHandler {
  const { secrets } = deps;
  const log = deps.log ?? createJsonLogger();
  const clock = deps.clock ?? Date.now;

  const steps: Readonly<Record<RotationStep, (ctx: StepContext) => Promise<void>>> = {
    async createSecret({ secretId, token, description }) {
      if (await secrets.getSecretVersionById(secretId, token)) return; // a retry: the pending value exists
      const value = await generateValue(kindOf(description), description);
      await secrets.putSecretValue(secretId, token, value, ['AWSPENDING']);
    },
    // Nothing outside Secrets Manager holds these values: the authorization server reads them from there.
    async setSecret() {},
    async testSecret({ secretId, token, description }) {
      const pending = await secrets.getSecretVersionById(secretId, token);
      if (!pending) throw new Error(`version ${token} of ${secretId} has no value to test`);
      await testValue(kindOf(description), description, pending.value, clock);
    },
    async finishSecret({ secretId, token, description }) {
      const holder = Object.keys(description.versionStages).find((id) => description.versionStages[id]!.includes('AWSCURRENT'));
      if (holder === token) return;
      await secrets.updateVersionStage(secretId, 'AWSCURRENT', { moveToVersionId: token, removeFromVersionId: holder });
    },
  };

  return async (event) => {
    const { SecretId: secretId, ClientRequestToken: token, Step: step } = event;
    if (!Object.hasOwn(steps, step)) throw new Error(`unknown rotation step ${JSON.stringify(step)}`);
    const description = await secrets.describeSecret(secretId);
    if (!description.rotationEnabled) throw new Error(`secret ${secretId} does not have rotation enabled`);
    const stages = description.versionStages[token];
    if (stages?.includes('AWSCURRENT')) {
      log.info('rotation_step_skipped', { secret_id: secretId, step, reason: 'version is already AWSCURRENT' });
      return;
    }
    // Secrets Manager stages the version AWSPENDING before calling createSecret; `rotateSecret` (local) lets
    // createSecret create it, so only that step may find it missing.
    if (!stages?.includes('AWSPENDING') && !(stages === undefined && step === 'createSecret')) {
      throw new Error(`version ${token} of ${secretId} is not staged AWSPENDING`);
    }
    await steps[step as RotationStep]({ secretId, token, description });
    log.info('rotation_step_done', {
      secret_id: secretId,
      step,
      kind: description.tags[SECRET_KIND_TAG],
      client_id: description.tags[CLIENT_ID_TAG],
    });
  };
}

/**
 * Rotates `secretId` the way Secrets Manager does: the four steps in order under one version id, then AWSPENDING is
 * removed from the new current version. Local mode and tests use it to create first values and to rotate.
 * Resolves to the new version id.
 */
export async function rotateSecret(
  secrets: SecretStore,
  secretId: string,
  versionId: string = randomUUID(),
  deps: { clock?: Clock; log?: Logger } = {},
): Promise<string> {
  const handler = createRotationHandler({ secrets, clock: deps.clock, log: deps.log ?? silentLogger });
  for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
    await handler({ SecretId: secretId, ClientRequestToken: versionId, Step });
  }
  const version = await secrets.getSecretVersionById(secretId, versionId);
  if (version?.stages.includes('AWSPENDING')) {
    await secrets.updateVersionStage(secretId, 'AWSPENDING', { removeFromVersionId: versionId });
  }
  return versionId;
}

interface StepContext {
  readonly secretId: string;
  readonly token: string;
  readonly description: SecretDescription;
}

function kindOf(description: SecretDescription): SecretKind {
  const kind = description.tags[SECRET_KIND_TAG];
  if (kind === 'client-secret' || kind === 'signing-key' || kind === 'link-key') return kind;
  throw new Error(`secret ${description.name} has no valid ${SECRET_KIND_TAG} tag (got ${JSON.stringify(kind)})`);
}

function taggedClientId(description: SecretDescription): string {
  const clientId = description.tags[CLIENT_ID_TAG];
  if (!clientId) throw new Error(`client secret ${description.name} has no ${CLIENT_ID_TAG} tag`);
  return clientId;
}

async function generateValue(kind: SecretKind, description: SecretDescription): Promise<string> {
  if (kind === 'client-secret') {
    const clientSecret = randomBytes(CLIENT_SECRET_BYTES).toString('base64url');
    return serializeClientSecretValue({ client_id: taggedClientId(description), client_secret: clientSecret });
  }
  if (kind === 'link-key') return JSON.stringify(generateLinkKey());
  return JSON.stringify(await generateSigningKey());
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

async function testValue(kind: SecretKind, description: SecretDescription, value: string, clock: Clock): Promise<void> {
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
  // A signing key must sign a token its public half verifies, under the kid it claims.
  const jwk = parsed as JWK;
  if (jwk.kty !== 'RSA' || !jwk.d || jwk.kid !== (await calculateJwkThumbprint(jwk))) {
    throw new Error(`signing key ${description.name} is not a private RSA JWK with its thumbprint as kid`);
  }
  const { kty, n, e, kid } = jwk;
  const now = Math.floor(clock() / 1000);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(await importJWK(jwk, 'RS256'));
  await jwtVerify(token, await importJWK({ kty, n, e }, 'RS256'), { algorithms: ['RS256'], currentDate: new Date(clock()) });
}
