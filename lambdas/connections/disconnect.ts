/**
 * Offboarding a subject from a connection (`oauth-registry connections disconnect <name> [--subject <s>]`): revoke
 * its tokens at the provider when the provider has a revocation endpoint (RFC 7009: the refresh token, which ends the
 * grant, else the access token), delete the token set, publish `Connection Disconnected`. The token set is deleted
 * even when the revocation fails (a data-protection request must not wait for a provider); the answer says what the
 * provider did. This container forgets its cached token; other warm containers may hand out the access token they
 * hold until it is due for renewal, which then fails (not_connected): the provider's revocation is what ends it.
 * Invoked directly on the function, never through a connection's alias: the callers granted a connection's tokens
 * cannot disconnect anyone.
 */
import * as oauth from 'oauth4webapi';
import { CONNECTION_DISCONNECTED_DETAIL_TYPE } from '../shared/health-signals';
import type { Logger } from '../shared/log';
import type { Cipher, EventPublisher, StateStore } from '../shared/ports';
import { errorBody, invalidRequest, unknownConnection, type ConnectionErrorBody } from './errors';
import { describeProviderError, type Providers } from './providers';
import { checkSubject, type ConnectionRegistrations } from './registrations';
import { tokenSetKey, unsealRefreshToken, type TokenSetItem } from './token-set-item';
import type { TokenSets } from './token-sets';

export interface DisconnectEvent {
  readonly action: 'disconnect';
  readonly connection: string;
  readonly subject?: string;
}

export interface DisconnectResult {
  readonly connection: string;
  readonly subject?: string;
  /** Whether a token set existed (and is now deleted). */
  readonly deleted: boolean;
  /** What the provider was asked: `refresh_token`/`access_token` revoked, none to revoke, no endpoint, or the failure. */
  readonly revocation: 'refresh_token' | 'access_token' | 'nothing_to_revoke' | 'unsupported' | `failed: ${string}`;
}

export const isDisconnectEvent = (event: unknown): event is DisconnectEvent =>
  typeof event === 'object' && event !== null && (event as { action?: unknown }).action === 'disconnect';

export interface DisconnectDeps {
  readonly registrations: ConnectionRegistrations;
  readonly providers: Providers;
  readonly tokenSets: Pick<TokenSets, 'forget'>;
  readonly state: StateStore;
  readonly cipher: Cipher;
  readonly events: EventPublisher;
  readonly log: Logger;
}

export function createDisconnect(deps: DisconnectDeps) {
  return async (event: DisconnectEvent, invokedFunctionArn?: string): Promise<DisconnectResult | ConnectionErrorBody> => {
    try {
      if (invokedFunctionArn?.split(':')[7] !== undefined) throw invalidRequest('disconnect is invoked on the function, not an alias');
      if (typeof event?.connection !== 'string' || !event.connection) throw invalidRequest('connection is required');
      const connection = await deps.registrations.get(event.connection);
      if (!connection) throw unknownConnection(event.connection);
      const subject = checkSubject(connection, event.subject);
      const pk = tokenSetKey(connection.name, subject);
      const item = await deps.state.get<TokenSetItem>(pk);
      let revocation: DisconnectResult['revocation'] = 'nothing_to_revoke';
      /** Why the revocation failed, for the log only (the result says `failed: <reason>`). */
      let revocationDetail: string | undefined;
      if (item?.refreshToken !== undefined || item?.accessToken !== undefined) {
        try {
          const provider = await deps.providers.client(connection);
          if (provider.as.revocation_endpoint === undefined) revocation = 'unsupported';
          else {
            const refreshToken = item.refreshToken && (await unsealRefreshToken(deps.cipher, pk, connection, item.refreshToken));
            const [token, hint] = refreshToken ? [refreshToken, 'refresh_token' as const] : [item.accessToken!, 'access_token' as const];
            const response = await oauth.revocationRequest(provider.as, provider.client, provider.auth, token, {
              ...provider.options(),
              additionalParameters: { token_type_hint: hint },
            });
            await oauth.processRevocationResponse(response);
            revocation = hint;
          }
        } catch (err) {
          const { reason, detail } = describeProviderError(err);
          revocation = `failed: ${reason}`;
          revocationDetail = detail;
        }
      }
      const deleted = (await deps.state.delete(pk)) !== undefined;
      deps.tokenSets.forget(connection, subject);
      const result: DisconnectResult = { connection: connection.name, ...(subject !== undefined ? { subject } : {}), deleted, revocation };
      deps.log.info('connection_disconnected', { ...result, ...(revocationDetail !== undefined ? { detail: revocationDetail } : {}) });
      try {
        await deps.events.publish(CONNECTION_DISCONNECTED_DETAIL_TYPE, { ...result });
      } catch (err) {
        deps.log.warn('disconnect_event_not_published', {
          connection: connection.name,
          error: err instanceof Error ? err.name : String(err),
        });
      }
      return result;
    } catch (err) {
      return errorBody(err);
    }
  };
}
