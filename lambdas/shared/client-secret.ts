/**
 * The value of a client's secret in Secrets Manager (and in local mode's secrets file): written by the rotation
 * function, read by the token endpoint and `credentials show`. One type, one parser.
 */
export interface ClientSecretValue {
  readonly client_id: string;
  readonly client_secret: string;
}

/** Bytes of randomness in a generated client secret (base64url: 43 characters). */
export const CLIENT_SECRET_BYTES = 32;

/** A generated client secret: base64url of `CLIENT_SECRET_BYTES` random bytes. */
export const CLIENT_SECRET_PATTERN = new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((CLIENT_SECRET_BYTES * 4) / 3)}}$`);

/** Parses a stored client secret; `undefined` when it is not JSON or lacks a string `client_id`/`client_secret`. */
export function parseClientSecretValue(json: string): ClientSecretValue | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  const { client_id, client_secret } = (parsed ?? {}) as Record<string, unknown>;
  return typeof client_id === 'string' && typeof client_secret === 'string' ? { client_id, client_secret } : undefined;
}

export function serializeClientSecretValue(value: ClientSecretValue): string {
  return JSON.stringify({ client_id: value.client_id, client_secret: value.client_secret });
}
