/**
 * An external client of an `OAuthRegistry`: an application of a partner that gets access tokens with its own
 * client id and secret (OAuth 2.0 client credentials), its own signed JWTs (`private_key_jwt`), or, for a public
 * app, its client id alone.
 */
import type { DynamodbTableItem } from '@cdktf/provider-aws/lib/dynamodb-table-item';
import type { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { REFRESH_TOKEN_ABSOLUTE_TTL_SECS, REFRESH_TOKEN_IDLE_TTL_SECS } from '../lambdas/shared/defaults';
import {
  CLIENT_ID_TAG,
  JWT_BEARER_GRANT_TYPE,
  PUBLIC_CLIENT_GRANT_TYPES,
  clientItemKey,
  type ClientRegistration,
  type SupportedGrantType,
} from '../lambdas/shared/manifest';
import { secretNames } from '../lambdas/shared/names';
import { ClientAuth, GrantType, scopeName, type JwtBearerOptions, type ScopeLike } from './client-options';
import { registrationItem } from './private/registration-item';
import { rotatedSecret } from './private/rotated-secret';
import { vacantScope } from './private/unique-child';
import {
  SECRET_NAME_SEGMENT_PATTERN,
  shortHash,
  validateClientId,
  validateIntRange,
  validateKeys,
  validatePublicHost,
  validateScope,
  validateUrl,
} from './private/validate';
import type { IOAuthRegistry } from './registry-interface';

/** What you declare about an external client (`registry.addExternalClient(id, options)`). */
export interface ExternalClientOptions {
  /**
   * The public client identifier. URL-safe, 1 to 128 characters, unique in the registry.
   * @default a stable 24-character hex id derived from the construct path (renaming the construct changes it)
   */
  readonly clientId?: string;
  /** Grant types the client may use. @default [GrantType.CLIENT_CREDENTIALS] */
  readonly grantTypes?: readonly GrantType[];
  /** How the client authenticates at the token endpoint. @default ClientAuth.CLIENT_SECRET_BASIC */
  readonly authMethod?: ClientAuth;
  /** Scopes the client may be granted (RFC 6749 §3.3 scope-tokens); a request asking for none gets all of them. */
  readonly scopes: readonly ScopeLike[];
  /**
   * The `aud` claim of this client's tokens. A protected route accepts them only if it names this audience
   * (`addRoute(key, { audiences })`); routes that name none accept the registry's own audience only.
   * @default the registry's audience
   */
  readonly audience?: string;
  /** Lifetime of this client's access tokens, in seconds (60 to 86400). @default the registry's (900) */
  readonly accessTokenTtlSecs?: number;
  /**
   * Tokens this client may get a minute (1 to 30000), counted at the token endpoint per fixed minute; beyond it the
   * endpoint answers 429 with `Retry-After`, so one client cannot use up the API's throttle for the others. Each
   * authenticated token request then costs one DynamoDB write. @default no limit (only the API's throttle)
   */
  readonly tokensPerMinute?: number;
  /** How often the client secret rotates, in days (1 to 365); only for clients with a shared secret. @default 90 */
  readonly secretRotationDays?: number;
  /**
   * With `GrantType.JWT_BEARER`: the issuer whose user assertions this client may exchange for tokens acting for the
   * user, and its public keys (`jwks` inline or `jwksUri`, https). @default none (required by `GrantType.JWT_BEARER`)
   */
  readonly jwtBearer?: JwtBearerOptions;
  /** An inactive client keeps its registration and secret but cannot get tokens. @default true */
  readonly active?: boolean;
  /** What the client is, for people reading the registry. @default none */
  readonly description?: string;
  /**
   * authorization_code: the exact redirect URIs (https, or http on 127.0.0.1, [::1] or localhost for native apps; no
   * fragment). Compared as strings, character for character. @default none (required with authorization_code)
   */
  readonly redirectUris?: readonly string[];
  /**
   * A public client (a native or browser app that cannot keep a secret): no secret is created, it authenticates with
   * its client id alone (`none`) and may use only authorization_code (PKCE) and refresh_token. @default false
   */
  readonly publicClient?: boolean;
  /** Seconds an unused refresh token stays valid; every rotation restarts it (60 to 31536000). @default 1209600 (14 days) */
  readonly refreshTokenIdleTtlSecs?: number;
  /** Seconds a user's refresh tokens live from sign-in, however often used (60 to 31536000). @default 7776000 (90 days) */
  readonly refreshTokenAbsoluteTtlSecs?: number;
  /**
   * Seconds after a rotation during which the old refresh token yields the same new pair, as long as the new refresh
   * token has not been used (a retry after a lost response, concurrent requests of one app); after it, or once the new
   * token was used, reuse revokes every token of the grant (0 to 60; 0: any reuse revokes). @default 30
   */
  readonly refreshTokenReuseGraceSecs?: number;
  /** Remember a user's consent to this client per scope set, and skip the consent page next time. @default false */
  readonly rememberConsent?: boolean;
}

export interface ExternalClientProps extends ExternalClientOptions {
  /** The registry issuing this client's tokens. */
  readonly registry: IOAuthRegistry;
}

/**
 * An external client: one Terraform-managed registration item in the table and, for a shared-secret client only, a
 * Secrets Manager secret (its value generated and rotated by the registry's rotation function, never in Terraform
 * config or state).
 */
export class ExternalClient extends Construct {
  /** The public client identifier to hand to the partner. */
  public readonly clientId: string;
  /** The registration as the token endpoint reads it (also in the manifest). */
  public readonly registration: ClientRegistration;
  /** The secret holding `{"client_id","client_secret"}`; none for `private_key_jwt` and public clients. */
  public readonly secret?: SecretsmanagerSecret;
  /** The registration item in the registry's table. */
  public readonly item: DynamodbTableItem;

  constructor(scope: Construct, id: string, props: ExternalClientProps) {
    super(
      vacantScope(
        scope,
        id,
        (existing) => `duplicate external client name "${id}" (${existing.node.path} is declared twice; names must be unique)`,
      ),
      id,
    );
    const { registry } = props;
    const where = `external client "${id}"`;
    if (!SECRET_NAME_SEGMENT_PATTERN.test(id)) {
      throw new Error(`${where}: the id is part of a secret name and must match ${SECRET_NAME_SEGMENT_PATTERN}, got "${id}"`);
    }
    this.clientId = validateClientId(props.clientId ?? shortHash(`oauth-registry/client:${this.node.path}`, 24));

    const grantTypes = (props.grantTypes ?? [GrantType.CLIENT_CREDENTIALS]).map((g): SupportedGrantType => {
      if (!(g instanceof GrantType)) throw new Error(`${where}: grantTypes must be GrantType values, got ${JSON.stringify(g)}`);
      try {
        return g.toSupported();
      } catch (error) {
        throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
      }
    });
    if (grantTypes.length === 0) throw new Error(`${where}: grantTypes must not be empty, got []`);

    const scopes = props.scopes.map((s) => validateScope(where, scopeName(s)));
    if (scopes.length === 0) throw new Error(`${where}: scopes must name at least one scope, got []`);

    const accessTokenTtlSecs = validateIntRange(
      `${where}: accessTokenTtlSecs`,
      props.accessTokenTtlSecs ?? registry.accessTokenTtlSecs,
      60,
      86_400,
    );
    if (props.publicClient && props.authMethod !== undefined && props.authMethod !== ClientAuth.NONE) {
      throw new Error(`${where}: a public client authenticates with ClientAuth.NONE, got authMethod ${String(props.authMethod)}`);
    }
    const auth = props.authMethod ?? (props.publicClient ? ClientAuth.NONE : ClientAuth.CLIENT_SECRET_BASIC);
    if (!(auth instanceof ClientAuth)) throw new Error(`${where}: authMethod must be a ClientAuth value, got ${JSON.stringify(auth)}`);
    if (auth.keys) validateKeys(`${where}: ClientAuth.privateKeyJwt`, auth.keys);
    validatePublicHost(this, `${where}: ClientAuth.privateKeyJwt jwksUri`, auth.keys?.jwksUri, auth.keys?.allowPrivateNetwork);
    validatePublicHost(this, `${where}: jwtBearer.jwksUri`, props.jwtBearer?.jwksUri, props.jwtBearer?.allowPrivateNetwork);
    validateGrantsForAuth(where, auth, grantTypes);
    validateJwtBearer(where, props.jwtBearer, grantTypes);
    const userDelegation = validateUserDelegation(where, props, grantTypes);
    if (!auth.usesSharedSecret && props.secretRotationDays !== undefined) {
      throw new Error(
        `${where}: secretRotationDays applies to shared secrets; a ${auth.method} client has none, got ${props.secretRotationDays}`,
      );
    }
    const secretRotationDays = validateIntRange(`${where}: secretRotationDays`, props.secretRotationDays ?? 90, 1, 365);
    if (props.audience !== undefined && !Token.isUnresolved(props.audience) && props.audience.length === 0) {
      throw new Error(`${where}: audience must not be empty, got ""`);
    }
    const secretName = secretNames.client(registry.namePrefix, id);
    // 30,000 a minute is half what one DynamoDB item (the client's counter) takes: 1,000 writes a second.
    const tokensPerMinute =
      props.tokensPerMinute === undefined ? undefined : validateIntRange(`${where}: tokensPerMinute`, props.tokensPerMinute, 1, 30_000);

    this.registration = {
      name: id,
      clientId: this.clientId,
      ...(props.description !== undefined ? { description: props.description } : {}),
      grantTypes: [...new Set(grantTypes)],
      authMethod: auth.method,
      scopes: [...new Set(scopes)],
      // Unset: the registry's audience, else the issuer, resolved by the authorization server at runtime.
      ...(props.audience !== undefined ? { audience: props.audience } : {}),
      accessTokenTtlSecs,
      ...(tokensPerMinute !== undefined ? { tokensPerMinute } : {}),
      active: props.active ?? true,
      // Only a shared-secret client has a secret; the others are known by their keys or by nothing (public).
      ...(auth.usesSharedSecret ? { secretId: secretName, secretRotationDays } : {}),
      ...(auth.keys?.jwks !== undefined ? { jwks: auth.keys.jwks } : {}),
      ...(auth.keys?.jwksUri !== undefined ? { jwksUri: auth.keys.jwksUri } : {}),
      ...(auth.keys?.jwksUri !== undefined && auth.keys.allowPrivateNetwork === true ? { jwksUriAllowPrivateNetwork: true } : {}),
      ...(props.jwtBearer !== undefined ? { jwtBearer: props.jwtBearer } : {}),
      ...userDelegation,
    };

    if (auth.usesSharedSecret) {
      this.secret = rotatedSecret(this, 'Secret', {
        name: secretName,
        description: `OAuth client secret of "${id}" (client_id ${this.clientId}); generated by rotation`,
        kmsKeyId: registry.kmsKey.arn,
        tags: registry.tags,
        kind: 'client-secret',
        extraTags: { [CLIENT_ID_TAG]: this.clientId },
        rotator: registry.secretRotator,
        rotationDays: secretRotationDays,
        recoveryWindowInDays: registry.recoveryWindowInDays,
      });
    }
    registry.addOutput(this, 'ClientId', `client-${id}-id`, this.clientId, `Client id of external client ${id}`);
    // A client is registered (and active) only once its secret has a first value: on the apply that adds it, the
    // bootstrap runs again first.
    const afterBootstrap = this.secret ? [registry.secretRotator.bootstrap.invocation] : [];
    this.item = registrationItem(this, registry.table, clientItemKey(this.clientId), this.registration, afterBootstrap);
    registry.registerClient(this);
  }

  /** ARN of the secret holding this client's credentials; undefined for a client without a shared secret. */
  public get secretArn(): string | undefined {
    return this.secret?.arn;
  }
}

/** A public client (`ClientAuth.NONE`) may only use grants bound to a user and PKCE. */
function validateGrantsForAuth(where: string, auth: ClientAuth, grantTypes: readonly string[]): void {
  if (auth.method !== 'none') return;
  const refused = grantTypes.filter((g) => !PUBLIC_CLIENT_GRANT_TYPES.includes(g));
  if (refused.length > 0) {
    throw new Error(
      `${where}: a public client (ClientAuth.NONE) cannot use ${refused.join(', ')}; ` +
        `it may use ${PUBLIC_CLIENT_GRANT_TYPES.join(', ')}`,
    );
  }
}

/** Lifetimes and options of user-delegated access; validated only where they apply. */
type UserDelegation = Pick<
  ClientRegistration,
  'redirectUris' | 'refreshTokenIdleTtlSecs' | 'refreshTokenAbsoluteTtlSecs' | 'refreshTokenReuseGraceSecs' | 'rememberConsent'
>;

/**
 * authorization_code needs redirect URIs and the registry's `userAuthentication`; refresh_token goes with it; the
 * refresh lifetimes and `rememberConsent` apply only to such clients.
 */
function validateUserDelegation(where: string, props: ExternalClientProps, grantTypes: readonly string[]): UserDelegation {
  const code = grantTypes.includes('authorization_code');
  const refresh = grantTypes.includes('refresh_token');
  if (code && !props.registry.userAuthentication) {
    throw new Error(
      `${where}: GrantType.AUTHORIZATION_CODE needs userAuthentication on the registry ` +
        '(new OAuthRegistry(scope, id, { userAuthentication: UserAuthentication.oidc({ issuer, clientId }) }))',
    );
  }
  if (refresh && !code) throw new Error(`${where}: GrantType.REFRESH_TOKEN is only issued with GrantType.AUTHORIZATION_CODE`);
  if (code && (props.redirectUris ?? []).length === 0) {
    throw new Error(`${where}: GrantType.AUTHORIZATION_CODE needs redirectUris, got ${JSON.stringify(props.redirectUris ?? [])}`);
  }
  if (!code && props.redirectUris !== undefined) {
    throw new Error(`${where}: redirectUris is set but grantTypes does not include GrantType.AUTHORIZATION_CODE`);
  }
  if (!code && props.rememberConsent !== undefined) {
    throw new Error(`${where}: rememberConsent applies only with GrantType.AUTHORIZATION_CODE`);
  }
  const lifetimes = [props.refreshTokenIdleTtlSecs, props.refreshTokenAbsoluteTtlSecs, props.refreshTokenReuseGraceSecs];
  if (!refresh && lifetimes.some((v) => v !== undefined)) {
    throw new Error(`${where}: refresh token lifetimes are set but grantTypes does not include GrantType.REFRESH_TOKEN`);
  }
  const redirectUris = (props.redirectUris ?? []).map((uri) => validateRedirectUri(where, uri));
  const idle = props.refreshTokenIdleTtlSecs;
  const absolute = props.refreshTokenAbsoluteTtlSecs;
  const grace = props.refreshTokenReuseGraceSecs;
  if (idle !== undefined) validateIntRange(`${where}: refreshTokenIdleTtlSecs`, idle, 60, 31_536_000);
  if (absolute !== undefined) validateIntRange(`${where}: refreshTokenAbsoluteTtlSecs`, absolute, 60, 31_536_000);
  if (grace !== undefined) validateIntRange(`${where}: refreshTokenReuseGraceSecs`, grace, 0, 60);
  if (refresh) validateRefreshLifetimes(where, idle, absolute);
  return {
    ...(code ? { redirectUris: [...new Set(redirectUris)] } : {}),
    ...(idle !== undefined ? { refreshTokenIdleTtlSecs: idle } : {}),
    ...(absolute !== undefined ? { refreshTokenAbsoluteTtlSecs: absolute } : {}),
    ...(grace !== undefined ? { refreshTokenReuseGraceSecs: grace } : {}),
    ...(props.rememberConsent !== undefined ? { rememberConsent: props.rememberConsent } : {}),
  };
}

/**
 * An unused refresh token cannot outlive its family: the idle lifetime must not exceed the absolute one, each compared
 * as the server will use it (the default when left unset).
 */
function validateRefreshLifetimes(where: string, idle: number | undefined, absolute: number | undefined): void {
  const idleSecs = idle ?? REFRESH_TOKEN_IDLE_TTL_SECS;
  const absoluteSecs = absolute ?? REFRESH_TOKEN_ABSOLUTE_TTL_SECS;
  if (Token.isUnresolved(idleSecs) || Token.isUnresolved(absoluteSecs) || idleSecs <= absoluteSecs) return;
  const shown = (value: number, given: number | undefined) => (given === undefined ? `${value}, the default` : `${value}`);
  throw new Error(
    `${where}: refreshTokenIdleTtlSecs (${shown(idleSecs, idle)}) must not exceed ` +
      `refreshTokenAbsoluteTtlSecs (${shown(absoluteSecs, absolute)})`,
  );
}

/** https, or http on loopback for native apps (RFC 8252 §7.3); absolute, no fragment (RFC 6749 §3.1.2). */
function validateRedirectUri(where: string, uri: string): string {
  if (Token.isUnresolved(uri)) throw new Error(`${where}: redirectUris must be literal strings, got a token`);
  // A bare trailing "#" is a fragment component too, though `URL.hash` is empty for it.
  if (uri.includes('#')) throw new Error(`${where}: redirect URI must not have a fragment, got "${uri}"`);
  return validateUrl(`${where}: redirect URI`, uri, { allowLoopbackHttp: true });
}

/** `GrantType.JWT_BEARER` and the `jwtBearer` option go together; the trusted issuer is a literal with valid keys. */
function validateJwtBearer(where: string, trust: JwtBearerOptions | undefined, grantTypes: readonly string[]): void {
  const granted = grantTypes.includes(JWT_BEARER_GRANT_TYPE);
  if (granted && trust === undefined) {
    throw new Error(`${where}: GrantType.JWT_BEARER needs the jwtBearer option ({ issuer, jwks | jwksUri }) naming the issuer you trust`);
  }
  if (trust === undefined) return;
  if (!granted) throw new Error(`${where}: jwtBearer is set but grantTypes does not include GrantType.JWT_BEARER`);
  if (typeof trust.issuer !== 'string' || Token.isUnresolved(trust.issuer) || trust.issuer.length === 0) {
    throw new Error(`${where}: jwtBearer.issuer must be a non-empty literal string, got ${JSON.stringify(trust.issuer)}`);
  }
  validateKeys(`${where}: jwtBearer`, trust);
}
