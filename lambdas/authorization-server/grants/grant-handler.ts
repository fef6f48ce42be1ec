/** What every grant type handler gets and returns, so the token endpoint can pick one from its table. */
import type { ClientRegistration, SupportedGrantType } from '../../shared/manifest';
import type { Clock, StateStore } from '../../shared/ports';
import type { AccessTokenIssuer, TokenResponse } from '../access-token';
import type { AssertionVerifier } from '../jwt-assertion';
import type { ResourceIndicators } from '../resource-indicators';

export interface GrantRequest {
  /** The token request's parameters, each present once, empty ones removed (RFC 6749 §3.2). */
  readonly params: ReadonlyMap<string, string>;
  /** The authenticated client, already checked to be registered for this grant type. */
  readonly client: ClientRegistration;
  readonly tokens: AccessTokenIssuer;
  /** Codes, refresh-token families, revocations. */
  readonly state: StateStore;
  readonly clock: Clock;
  /** Verifies JWT assertions (JWT bearer grant): pinned algorithms, our audience, single-use `jti`. */
  readonly assertions: AssertionVerifier;
  /** The `aud` for the requested `resource` (RFC 8707). */
  readonly resources: ResourceIndicators;
}

/** Issues the tokens of one grant type (`lib/grant.ts`'s `Grant` is something else: an IAM grant to a principal). */
export type GrantHandler = (request: GrantRequest) => Promise<TokenResponse>;

/**
 * One handler for every supported grant type: a `Record`, so a type added to `SUPPORTED_GRANT_TYPES` does not compile
 * until it has a handler.
 */
export type GrantHandlers = Readonly<Record<SupportedGrantType, GrantHandler>>;

/** Whether `grantType` is one the table has a handler for (own keys only: never `toString`). */
export function isHandledGrantType(handlers: GrantHandlers, grantType: string): grantType is SupportedGrantType {
  return Object.hasOwn(handlers, grantType);
}
