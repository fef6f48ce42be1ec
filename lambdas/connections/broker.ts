/**
 * The token broker: invoked directly (`lambda:InvokeFunction` on the connection's alias) with
 * `{ action: 'token', connection, subject?, consentLink? }`, it answers `{ access_token, expires_at, token_type }`,
 * renewing the token set when needed, or `{ error, error_description, consent_url? }`.
 *
 * A consent link is a capability: whoever completes it binds **their** account at the provider to the subject it
 * names. So a `not_connected` or `needs_consent` answer carries one only when the caller (code granted this alias,
 * never an outside request: the proxy and the routes never mint one) asked for it with `consentLink: true`, to hand to
 * the person the subject names. The link is fresh, lives 10 minutes and is single use (links.ts).
 */
import { errorDetail } from '../shared/log';
import { connectionAlias } from '../shared/names';
import type { ConnectionsContext } from './context';
import { errorBody, invalidRequest, unknownConnection, type ConnectionErrorBody } from './errors';
import { checkSubject } from './registrations';
import type { ConnectionToken } from './token-set-item';

export interface BrokerEvent {
  readonly action: 'token';
  readonly connection: string;
  readonly subject?: string;
  /** Mint a consent link for `subject` with a `not_connected` or `needs_consent` answer (and only then). */
  readonly consentLink?: boolean;
}

export type BrokerResult = ConnectionToken | ConnectionErrorBody;

/** The answers a person's consent fixes: the only ones a requested link comes with. */
const CONSENT_ERRORS: ReadonlySet<ConnectionErrorBody['error']> = new Set(['not_connected', 'needs_consent']);

export const isBrokerEvent = (event: unknown): event is BrokerEvent =>
  typeof event === 'object' && event !== null && (event as { action?: unknown }).action === 'token';

export function createBroker(ctx: ConnectionsContext) {
  /** `invokedFunctionArn`: in AWS, the alias names the only connection this caller was granted. */
  return async (event: BrokerEvent, invokedFunctionArn?: string): Promise<BrokerResult> => {
    try {
      if (typeof event?.connection !== 'string' || !event.connection) throw invalidRequest('connection is required');
      checkAlias(event.connection, invokedFunctionArn);
      const connection = await ctx.registrations.get(event.connection);
      if (!connection) throw unknownConnection(event.connection);
      const subject = checkSubject(connection, event.subject);
      try {
        return await ctx.tokenSets.get(connection, subject);
      } catch (err) {
        const body = errorBody(err);
        if (event.consentLink !== true || !CONSENT_ERRORS.has(body.error)) throw err;
        const link = await ctx.links.sign(connection.name, subject).catch((signErr: unknown) => {
          ctx.log.error('consent_link_not_signed', {
            connection: connection.name,
            error: signErr instanceof Error ? signErr : String(signErr),
          });
          return undefined;
        });
        ctx.log.info('broker_refused', {
          connection: connection.name,
          error: body.error,
          consentLink: link ? 'minted' : 'failed',
          ...errorDetail(err),
        });
        return link ? { ...body, consent_url: link } : body;
      }
    } catch (err) {
      const body = errorBody(err);
      if (body.error === 'server_error') ctx.log.error('broker_error', { error: err instanceof Error ? err : String(err) });
      else ctx.log.info('broker_refused', { connection: event?.connection, error: body.error, ...errorDetail(err) });
      return body;
    }
  };
}

/**
 * Callers are granted `lambda:InvokeFunction` on one alias per connection, so the alias they invoked proves which
 * connection they may ask for. An invocation without an alias (local mode passes no ARN) is not checked here.
 */
function checkAlias(connection: string, invokedFunctionArn: string | undefined): void {
  if (!invokedFunctionArn) return;
  const qualifier = invokedFunctionArn.split(':')[7];
  if (qualifier !== connectionAlias(connection)) {
    throw invalidRequest(`invoke the broker through the alias ${connectionAlias(connection)} to get tokens of ${connection}`);
  }
}
