/**
 * An error meant for the person at the terminal: the CLI prints its message alone; `details` (what a tool printed, its
 * stack frames) only with `--verbose`.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Whether an error comes from the AWS SDK's credential chain finding no credentials (or expired ones). */
export function isAwsCredentialsError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === 'CredentialsProviderError' ||
    /Could not load credentials from any providers|security token included in the request is (invalid|expired)|ExpiredToken/i.test(
      err.message,
    ) ||
    ['ExpiredTokenException', 'UnrecognizedClientException', 'InvalidSignatureException'].includes(err.name)
  );
}

/** The one line the CLI prints for an error (AWS credential errors say so, with where the SDK looks). */
export function userMessage(err: unknown): string {
  if (isAwsCredentialsError(err)) {
    return (
      `no usable AWS credentials (${(err as Error).message}): the deployed registry is read with the AWS SDK's default ` +
      'credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, instance role); set them, or use --local'
    );
  }
  return err instanceof Error ? err.message : String(err);
}
