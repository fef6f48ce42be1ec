/** What every grant type handler gets and returns, so the token endpoint can pick one from a map. */
import type { ClientRegistration } from '../../shared/manifest';
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

export type Grant = (request: GrantRequest) => Promise<TokenResponse>;
