/**
 * Health outcomes of a token set and what they tell the caller:
 * - `connected`;
 * - `needs_consent` (invalid_grant to a refresh: the record is kept and marked; a person must consent again);
 * - `needs_trust` (invalid_grant to a JWT bearer assertion: the provider no longer trusts our key or subject; nobody
 *   asks again before `retryAfter`, backing off as for transient errors, so a trust repaired at the provider heals by
 *   itself);
 * - `error` (transient: retried a few times, then `retryAfter` is stored and until then callers get the last good
 *   token while it is valid); `refreshing` is reported while a lease is live.
 * A change of the stored health publishes a `Connection Health Changed` event. The errors below say what to do,
 * with the CLI command that does it.
 */
import { OPERATOR_CLI } from '../shared/config';
import type { Logger } from '../shared/log';
import type { ConnectionRegistration } from '../shared/manifest';
import type { EventPublisher } from '../shared/ports';
import { needsConsent, needsTrust, notConnected, providerUnavailable, type ConnectionError } from './errors';
import { providerFailure, setCredentialsHint } from './providers';
import type { Health, StoredHealth, TokenSetItem } from './token-set-item';

export interface HealthContext {
  readonly events: EventPublisher;
  readonly log: Logger;
}

/** The CLI command that (re)starts a consent. */
export const connectHint = (connection: string, subject: string | undefined): string =>
  `${OPERATOR_CLI} connect ${connection}${subject !== undefined ? ` --subject ${subject}` : ''}`;

/** What the lost refresh token left in `lastError`. */
export const REFRESH_TOKEN_LOST =
  'the provider rotated the refresh token and the new one could not be encrypted, so it was not stored: ' +
  'consent again before the access token expires';

/** Logs and publishes a change of the stored health (none when it did not change); a failed publish is only logged. */
export async function publishHealth(
  ctx: HealthContext,
  connection: string,
  subject: string | undefined,
  from: Health | undefined,
  to: StoredHealth,
  reason?: string,
): Promise<void> {
  if (from === to) return;
  ctx.log.info('connection_health_changed', { connection, subject, from: from ?? 'not_connected', to, reason });
  try {
    await ctx.events.publish('Connection Health Changed', { connection, subject, from: from ?? 'not_connected', to, reason });
  } catch (err) {
    ctx.log.warn('health_event_not_published', { connection, error: err instanceof Error ? err.name : String(err) });
  }
}

/**
 * No token set yet, for a grant that needs a person's consent. Never with a consent link: whoever completes a link
 * binds their account at the provider to this subject, so a link is minted only when trusted code asks the broker for
 * one (`consentLink`, broker.ts) to hand to that person.
 */
export function notConnectedError(connection: ConnectionRegistration, subject: string | undefined): ConnectionError {
  const forWhom = subject !== undefined ? ` for subject ${subject}` : '';
  return notConnected(`connection ${connection.name} has no token set${forWhom}: consent first (${connectHint(connection.name, subject)})`);
}

/** The grant was revoked or expired at the provider: a person must consent again (no link, as for `notConnectedError`). */
export function needsConsentError(connection: ConnectionRegistration, subject: string | undefined, why: string): ConnectionError {
  const how = connectHint(connection.name, subject);
  return needsConsent(`connection ${connection.name} needs consent again (${why}): run \`${how}\` for a consent link`);
}

export function needsTrustError(
  connection: ConnectionRegistration,
  subject: string | undefined,
  why: string,
  retryAfter: number,
): ConnectionError {
  const who = subject !== undefined ? ` for subject ${subject}` : '';
  return needsTrust(
    `connection ${connection.name}: the provider refused our JWT bearer assertion${who} (${why}): it must trust our public key ` +
      `and the asserted issuer and subject; after fixing that at the provider (or \`${setCredentialsHint(connection.name)}\` ` +
      `with the key it trusts) the next attempt is not before ${new Date(retryAfter).toISOString()}`,
  );
}

/** A renewal that failed (no last good token to fall back on). */
export function renewalFailedError(connection: ConnectionRegistration, err: unknown): ConnectionError {
  return providerFailure(err, (reason, failure) =>
    failure === 'transient' ? `connection ${connection.name}: ${reason}; try again later` : `connection ${connection.name}: ${reason}`,
  );
}

/** During the backoff after a transient failure, when no valid token is left: says until when. */
export function backingOffError(connection: ConnectionRegistration, item: TokenSetItem & { retryAfter: number }): ConnectionError {
  const until = new Date(item.retryAfter).toISOString();
  return providerUnavailable(
    `connection ${connection.name}: ${item.lastError ?? 'the provider failed'}; the next attempt is not before ${until}`,
  );
}

/** Another container's renewal held the lease longer than we wait. */
export const renewalTooSlowError = (connection: ConnectionRegistration): ConnectionError =>
  providerUnavailable(`connection ${connection.name}: another renewal is taking too long; try again later`);
