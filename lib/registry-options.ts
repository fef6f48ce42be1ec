/** The options of `new OAuthRegistry(scope, id, props)`: the registry-wide settings, each with its documented default. */
import type { UserAuthentication } from './user-authentication';

/** A custom domain for the issuer, instead of the API's generated `execute-api` host. */
export interface CustomDomainProps {
  /** The host name, e.g. `auth.example.com` (the issuer becomes `https://auth.example.com`). */
  readonly domainName: string;
  /**
   * ACM certificate for `domainName`, in the registry's region, already ISSUED (API Gateway refuses a pending one).
   * For a certificate created in the same stack, pass `new AcmCertificateValidation(…).certificateArn`: Terraform then
   * creates the domain only once the certificate is validated.
   */
  readonly certificateArn: string;
  /**
   * The Route 53 hosted zone of `domainName`: the registry creates the A and AAAA alias records pointing the name at
   * the API's custom domain, and its authorizers wait for them; the first apply converges by itself.
   * @default none: the record is yours to create, pointing at a target that exists only once the custom domain does;
   * synth warns with the steps of the first deploy (a targeted apply of the domain, the record, then the deploy), and
   * the issuer check names the record if it does not resolve
   */
  readonly hostedZoneId?: string;
}

/** When the registry's alarms fire, and whom they tell (see the README's "Alarms" for each alarm). */
export interface AlarmThresholds {
  /** Errors of one registry function (rotation, authorization server, connections) in 5 minutes. @default 1 */
  readonly functionErrors?: number;
  /** Throttled invocations of the authorization server or the connections function in 5 minutes. @default 1 */
  readonly functionThrottles?: number;
  /** Share of the API's requests answered 5xx, in percent, in 2 of 3 five-minute periods. @default 1 */
  readonly serverErrorRatePercent?: number;
  /** p99 of the API's latency (API Gateway's `Latency`), in ms, in 3 five-minute periods in a row. @default 2000 */
  readonly latencyP99Ms?: number;
  /** Days past its rotation period after which a secret that has not rotated raises the alarm. @default 2 */
  readonly rotationMarginDays?: number;
}

/** The registry's alarms: on by default, to one SNS topic. */
export interface RegistryAlarmsOptions {
  /** No alarms, no topic, no scheduled health check. @default false */
  readonly disabled?: boolean;
  /**
   * ARN of your SNS topic to notify instead of the registry's own. It must let `events.amazonaws.com` publish (the
   * connection-health rule) and, if encrypted, let CloudWatch and EventBridge use its key.
   * @default a topic `<namePrefix>-alarms`, created
   */
  readonly topic?: string;
  /** An email address subscribed to the topic (AWS mails a confirmation link first). @default none */
  readonly email?: string;
  /** @default each threshold's own default */
  readonly thresholds?: AlarmThresholds;
}

export interface OAuthRegistryProps {
  /**
   * Prefix of every named resource (secrets, functions, table, API). Lower-kebab, 1 to 32 characters.
   * @default the construct id in lower-kebab case (`AuthRegistry` → `auth-registry`)
   */
  readonly namePrefix?: string;
  /** Lifetime of access tokens, in seconds (60 to 86400). Clients may override it. @default 900 (15 minutes) */
  readonly accessTokenTtlSecs?: number;
  /** How often the RSA signing key rotates, in days (1 to 365). @default 30 */
  readonly signingKeyRotationDays?: number;
  /**
   * How long the previous client secret keeps working after a rotation, in hours (0 to 720).
   * @default 24 (partners have a day to pick up the new secret)
   */
  readonly clientSecretOverlapHours?: number;
  /**
   * The registry's own audience: the default `aud` of access tokens, and the only audience a protected route accepts
   * unless it names its own (`addRoute(key, { audiences })`). @default the issuer
   */
  readonly audience?: string;
  /**
   * Where developers of external clients read how to use this registry (scopes, routes, how to get credentials): an
   * `https` URL published as `service_documentation` in the discovery documents (RFC 8414 §2), so a partner or an
   * agent that finds the issuer finds the docs. @default none
   */
  readonly serviceDocumentation?: string;
  /** Serve the issuer on your own domain. @default none: the issuer is the HTTP API's `execute-api` endpoint */
  readonly customDomain?: CustomDomainProps;
  /** Retention of every log group of the registry, in days (a value CloudWatch allows). @default 30 */
  readonly logRetentionDays?: number;
  /** API-wide burst limit (requests) of the `$default` stage. @default 100 */
  readonly throttlingBurstLimit?: number;
  /** API-wide steady rate limit (requests per second) of the `$default` stage. @default 50 */
  readonly throttlingRateLimit?: number;
  /** Tags added to every taggable resource of the registry. @default none */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Where users sign in for clients using `GrantType.AUTHORIZATION_CODE` (`UserAuthentication.oidc({ issuer, clientId })`).
   * The registry creates the empty secret `<namePrefix>/user-authentication` for the provider's client secret.
   * @default none: no authorization endpoint; declaring an authorization_code client is an error
   */
  readonly userAuthentication?: UserAuthentication;
  /**
   * Days Secrets Manager keeps each secret of the registry after it is destroyed (signing key, client secrets,
   * connection secrets, the upstream secret). Meanwhile a secret of the same name cannot be created again, so a
   * destroyed registry cannot be redeployed under the same `namePrefix`. 0 deletes at once (non-production only:
   * nothing can be recovered); otherwise 7 to 30. @default 30 (Secrets Manager's own default)
   */
  readonly recoveryWindowInDays?: number;
  /**
   * Deletion protection of the registry's table (registrations, refresh tokens, connection token sets): with it,
   * `cdktf destroy` fails on the table. Turn it off only for a registry you mean to destroy. @default true
   */
  readonly deletionProtection?: boolean;
  /** Point-in-time recovery (35 days of continuous backups) of the registry's table. @default true */
  readonly pointInTimeRecovery?: boolean;
  /**
   * Origins of browser apps (`https://app.example.com`, exactly as a browser sends `Origin`; `http:` only on a loopback
   * host) that may call the API from script: the token, revocation, introspection, discovery and JWKS endpoints, so a
   * public client in a browser can redeem its code. API Gateway's CORS configuration is API-wide: these origins may
   * also call your protected routes (GET and POST, still with a bearer token; cookies are never allowed cross-origin).
   * @default none: no CORS (a browser refuses script access from other origins)
   */
  readonly corsAllowedOrigins?: readonly string[];
  /**
   * CloudWatch alarms on rotation, the functions, the API's errors and latency, the issuer and connection health,
   * notified to one SNS topic. @default on, to a topic `<namePrefix>-alarms` with no subscription
   */
  readonly alarms?: RegistryAlarmsOptions;
  /** A CloudWatch dashboard `<namePrefix>` (requests, tokens by client, errors, latency, rotations). @default true */
  readonly dashboard?: boolean;
  /**
   * Accept Client ID Metadata Documents (what MCP clients use): a `client_id` that is an `https://` URL with a path
   * names the client's metadata, fetched (bounded, cached per `Cache-Control` within 1 minute to 1 day) when it signs a
   * user in. Such a client is public (`none`) or `private_key_jwt` (with `jwks_uri`), never has a secret, uses PKCE,
   * and may be granted `scopes` (default: every MCP server's scopes). Needs `userAuthentication`. @default off
   */
  readonly clientIdMetadataDocuments?: boolean | ClientIdMetadataDocumentsOptions;
  /**
   * Open dynamic client registration (RFC 7591) at `POST /oauth2/register`, for MCP clients that do not use Client ID
   * Metadata Documents yet: public (`none`) or `private_key_jwt` clients only, 4 KiB of metadata at most, a
   * registry-wide bound per hour, and registrations that expire when unused. Needs `userAuthentication`. @default off
   */
  readonly dynamicClientRegistration?: boolean | DynamicClientRegistrationOptions;
}

export interface DynamicClientRegistrationOptions {
  /** Registrations accepted per clock hour (1 to 500). @default 20 */
  readonly registrationsPerHour?: number;
  /** Days a registered client lives after it was last used (1 to 365). @default 30 */
  readonly unusedExpiryDays?: number;
  /** Scopes such clients may be granted. @default the union of the MCP servers' scopes */
  readonly scopes?: readonly string[];
}

/** Where client metadata documents may come from, and what their clients may be granted. */
export interface ClientIdMetadataDocumentsOptions {
  /** Only documents on these hosts (exact names, e.g. `app.example.com`). @default any public host */
  readonly allowedHosts?: readonly string[];
  /** Documents (and their `jwks_uri`) may be on loopback, private or link-local addresses. @default false */
  readonly allowPrivateNetwork?: boolean;
  /** Scopes such clients may be granted. @default the union of the MCP servers' scopes */
  readonly scopes?: readonly string[];
}
