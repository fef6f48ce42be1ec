/** `Cipher` over AWS KMS (SDK v3): Encrypt/Decrypt with the registry's key and an encryption context. */
import { DecryptCommand, EncryptCommand, KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import type { Cipher } from '../ports';
import { boundedClientConfig } from './aws-client-config';

export interface AwsCipherOptions {
  /** Key id or ARN of the registry's KMS key. */
  readonly keyId: string;
  /** A ready client (tests pass one to mock); otherwise one is built from `clientConfig` on first use. */
  readonly client?: KMSClient;
  readonly clientConfig?: KMSClientConfig;
}

/** Encrypts small values (≤ 4 KB) directly with KMS; the ciphertext is base64 and names its key itself. */
export class AwsCipher implements Cipher {
  private client?: KMSClient;

  constructor(private readonly options: AwsCipherOptions) {
    this.client = options.client;
  }

  private get kms(): KMSClient {
    return (this.client ??= new KMSClient(boundedClientConfig(this.options.clientConfig)));
  }

  async encrypt(plaintext: string, context: Readonly<Record<string, string>>): Promise<string> {
    const out = await this.kms.send(
      new EncryptCommand({ KeyId: this.options.keyId, Plaintext: Buffer.from(plaintext, 'utf8'), EncryptionContext: { ...context } }),
    );
    if (!out.CiphertextBlob) throw new Error('KMS Encrypt returned no ciphertext');
    return Buffer.from(out.CiphertextBlob).toString('base64');
  }

  async decrypt(ciphertext: string, context: Readonly<Record<string, string>>): Promise<string> {
    const out = await this.kms.send(
      new DecryptCommand({
        KeyId: this.options.keyId,
        CiphertextBlob: Buffer.from(ciphertext, 'base64'),
        EncryptionContext: { ...context },
      }),
    );
    if (!out.Plaintext) throw new Error('KMS Decrypt returned no plaintext');
    return Buffer.from(out.Plaintext).toString('utf8');
  }
}
