/**
 * What verify's checks read: the registry as declared (issuer, manifest) and as discovered (its metadata), an HTTP
 * getter, the tokens. Each check takes only the part it needs (`Pick<VerifyContext, …>`), so its test builds no more.
 */
import type { RegistryManifest } from '../../lambdas/shared/manifest';
import type { ConnectionHealthRow } from '../shared/connection-health';
import type { Get } from './http-get';
import type { PrimaryToken, TokenSource } from './tokens';

/** Connection token-set health (`status`'s rows), or why it could not be read; absent: not reported. */
export type ConnectionHealth = readonly ConnectionHealthRow[] | { readonly unreadable: string };

export interface VerifyContext {
  /** The issuer the registry must announce, without a trailing slash. */
  readonly issuer: string;
  /** What the app declares. */
  readonly manifest: RegistryManifest;
  readonly get: Get;
  /** The first valid metadata document the registry serves. */
  readonly discovered: Record<string, unknown>;
  readonly tokens: TokenSource;
  /** The chosen client's token; absent when none could be had. */
  readonly primary?: PrimaryToken;
  /** Whether a route that may change data is called with a valid token (`--call-unsafe-routes`). */
  readonly callUnsafeRoutes: boolean;
  readonly connectionHealth?: ConnectionHealth;
}
