/**
 * `Cipher` for local mode and tests: AES-256-GCM with a 256-bit key, the context as additional authenticated data
 * (so a ciphertext moved to another token set does not decrypt, as with a KMS encryption context).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Cipher } from '../ports';
import type { LocalSecretStore } from './local-secret-store';

const VERSION = 'v1';

/** Canonical bytes of an encryption context: sorted keys, so `{a,b}` and `{b,a}` agree. */
function aad(context: Readonly<Record<string, string>>): Buffer {
  return Buffer.from(
    JSON.stringify(
      Object.keys(context)
        .sort()
        .map((k) => [k, context[k]]),
    ),
    'utf8',
  );
}

export class LocalCipher implements Cipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error(`LocalCipher needs a 32-byte key, got ${key.length} bytes`);
  }

  /** A cipher whose key lives in `secretId` of the local secret store (created with a random key on first use). */
  static async fromSecretStore(secrets: LocalSecretStore, secretId: string): Promise<LocalCipher> {
    secrets.createSecret(secretId, {}, { rotationEnabled: false });
    let current = await secrets.getSecretVersion(secretId, 'AWSCURRENT');
    if (!current) {
      await secrets.putSecretValue(secretId, 'v1', randomBytes(32).toString('base64'), ['AWSCURRENT']);
      current = await secrets.getSecretVersion(secretId, 'AWSCURRENT');
    }
    return new LocalCipher(Buffer.from(current!.value, 'base64'));
  }

  async encrypt(plaintext: string, context: Readonly<Record<string, string>>): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(aad(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, body, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  async decrypt(ciphertext: string, context: Readonly<Record<string, string>>): Promise<string> {
    const [version, iv, body, tag] = ciphertext.split('.');
    if (version !== VERSION || !iv || body === undefined || !tag) throw new Error('not a LocalCipher ciphertext');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(aad(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
