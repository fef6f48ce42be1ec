/**
 * The registry's props, validated and with their defaults: what the constructor needs before it creates anything.
 */
import { Token } from 'cdktf';
import { originProblem } from '../../lambdas/shared/cors';
import { ACCESS_TOKEN_TTL_SECS, CLIENT_SECRET_OVERLAP_HOURS, SIGNING_KEY_ROTATION_DAYS } from '../../lambdas/shared/defaults';
import type { OAuthRegistryProps } from '../registry-options';
import { toKebab, validateIntRange, validateLogRetentionDays, validateNamePrefix, validateUrl } from './validate';

export interface RegistrySettings {
  readonly namePrefix: string;
  readonly accessTokenTtlSecs: number;
  readonly signingKeyRotationDays: number;
  /** How long the previous client secret keeps working after a rotation, in seconds. */
  readonly secretOverlapSecs: number;
  readonly logRetentionDays: number;
  readonly throttlingBurstLimit: number;
  readonly throttlingRateLimit: number;
  /** Days Secrets Manager keeps a destroyed secret of the registry (0: deleted at once). */
  readonly recoveryWindowInDays: number;
  readonly deletionProtection: boolean;
  readonly pointInTimeRecovery: boolean;
  /** Origins allowed to call the API from browser scripts (CORS); empty: none. */
  readonly corsAllowedOrigins: readonly string[];
  /** The registry's own audience (`audience`); undefined: the issuer. */
  readonly audience?: string;
  /** Where developers read how to use the registry (discovery's `service_documentation`). */
  readonly serviceDocumentation?: string;
}

/** Secrets Manager's own default recovery window, in days. */
export const DEFAULT_RECOVERY_WINDOW_DAYS = 30;

/** Validates `props` (throwing on the first problem) and fills in the defaults. */
export function registrySettings(id: string, props: OAuthRegistryProps): RegistrySettings {
  const namePrefix = validateNamePrefix(props.namePrefix ?? defaultNamePrefix(id));
  const accessTokenTtlSecs = validateIntRange('accessTokenTtlSecs', props.accessTokenTtlSecs ?? ACCESS_TOKEN_TTL_SECS, 60, 86_400);
  if (Token.isUnresolved(props.signingKeyRotationDays)) {
    throw new Error('signingKeyRotationDays must be a literal number known at synth time (the key schedule is checked from it)');
  }
  const signingKeyRotationDays = validateIntRange(
    'signingKeyRotationDays',
    props.signingKeyRotationDays ?? SIGNING_KEY_ROTATION_DAYS,
    1,
    365,
  );
  const overlapHours = validateIntRange('clientSecretOverlapHours', props.clientSecretOverlapHours ?? CLIENT_SECRET_OVERLAP_HOURS, 0, 720);
  const secretOverlapSecs = Token.isUnresolved(overlapHours) ? overlapHours : overlapHours * 3600;
  const logRetentionDays = validateLogRetentionDays(props.logRetentionDays ?? 30);
  const throttlingBurstLimit = validateIntRange('throttlingBurstLimit', props.throttlingBurstLimit ?? 100, 0, 5_000);
  const throttlingRateLimit = props.throttlingRateLimit ?? 50;
  if (!Token.isUnresolved(throttlingRateLimit) && !(throttlingRateLimit >= 0 && throttlingRateLimit <= 10_000)) {
    throw new Error(`throttlingRateLimit must be between 0 and 10000 requests per second, got ${throttlingRateLimit}`);
  }
  if (props.customDomain && !Token.isUnresolved(props.customDomain.domainName)) {
    const domain = props.customDomain.domainName;
    if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(domain)) {
      throw new Error(`customDomain.domainName must be a host name like "auth.example.com", got "${domain}"`);
    }
  }
  if (props.audience !== undefined && !Token.isUnresolved(props.audience) && props.audience.length === 0) {
    throw new Error('audience must not be empty, got ""');
  }
  const recoveryWindowInDays = props.recoveryWindowInDays ?? DEFAULT_RECOVERY_WINDOW_DAYS;
  if (
    !Token.isUnresolved(recoveryWindowInDays) &&
    recoveryWindowInDays !== 0 &&
    !(Number.isInteger(recoveryWindowInDays) && recoveryWindowInDays >= 7 && recoveryWindowInDays <= 30)
  ) {
    throw new Error(
      'recoveryWindowInDays must be 0 (delete at once: non-production only) or an integer between 7 and 30, ' +
        `got ${JSON.stringify(recoveryWindowInDays)}`,
    );
  }
  return {
    namePrefix,
    accessTokenTtlSecs,
    signingKeyRotationDays,
    secretOverlapSecs,
    logRetentionDays,
    throttlingBurstLimit,
    throttlingRateLimit,
    recoveryWindowInDays,
    deletionProtection: props.deletionProtection ?? true,
    pointInTimeRecovery: props.pointInTimeRecovery ?? true,
    corsAllowedOrigins: corsOrigins(props.corsAllowedOrigins),
    ...(props.audience !== undefined ? { audience: props.audience } : {}),
    ...(props.serviceDocumentation !== undefined
      ? { serviceDocumentation: validateLiteralUrl('serviceDocumentation', props.serviceDocumentation) }
      : {}),
  };
}

/** A URL known at synth (it is published as is), https with no fragment. */
function validateLiteralUrl(what: string, value: string): string {
  if (Token.isUnresolved(value)) throw new Error(`${what} must be a literal URL known at synth time, got a token`);
  return validateUrl(what, value, { allowFragment: false });
}

/** The CORS origins, each a literal origin (`originProblem`), without duplicates. */
function corsOrigins(origins: readonly string[] | undefined): readonly string[] {
  if (origins === undefined) return [];
  if (!Array.isArray(origins)) throw new Error(`corsAllowedOrigins must be a list of origins, got ${JSON.stringify(origins)}`);
  for (const origin of origins) {
    if (Token.isUnresolved(origin)) throw new Error('corsAllowedOrigins must be literal strings known at synth time, got a token');
    const problem = originProblem(origin);
    if (problem !== undefined) throw new Error(`corsAllowedOrigins: ${problem.replace(/^it /, '')}, got ${JSON.stringify(origin)}`);
  }
  return [...new Set(origins)];
}

/** The construct id in lower-kebab case, at most 32 characters (`AuthRegistry` → `auth-registry`). */
function defaultNamePrefix(id: string): string {
  return toKebab(id).slice(0, 32).replace(/-+$/, '');
}
