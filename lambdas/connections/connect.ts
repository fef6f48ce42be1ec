/**
 * `GET /connections/{name}/connect?link=…`: a person opened a consent link. Redeem the link (signature, expiry,
 * connection, single use), remember `state`, the PKCE verifier and the browser binding (a cookie's SHA-256) bound to
 * it, and send the browser to the provider with the cookie.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as oauth from 'oauth4webapi';
import { errorDetail } from '../shared/log';
import type { StateItem } from '../shared/ports';
import { tableKey } from '../shared/table-keys';
import { newConsentBinding } from './consent-cookie';
import { connectionOf, callbackUrl, type ConnectionsContext } from './context';
import { ConnectionError, invalidRequest, providerError } from './errors';
import { CONSENT_LINK_TTL_SECS } from './links';
import { messagePage, redirect } from './pages';
import { checkSubject } from './registrations';

/** Key of the pending consent a `state` value stands for (single use: taken by the callback). */
export const consentStateKey = (state: string): string => tableKey('consentState', state);

export interface PendingConsent extends StateItem {
  readonly connection: string;
  readonly subject?: string;
  readonly codeVerifier?: string;
  /** SHA-256 of the consent cookie set on the browser that started the consent (see consent-cookie.ts). */
  readonly browserBinding: string;
  readonly expiresAt: number;
}

export function createConnectEndpoint(ctx: ConnectionsContext) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const connection = await connectionOf(ctx, event);
      if (connection.grant !== 'authorization_code') {
        throw invalidRequest(`connection ${connection.name} uses ${connection.grant}: it needs no consent`);
      }
      const link = event.queryStringParameters?.link;
      if (!link) throw invalidRequest('this address needs a consent link (oauth-registry connect prints one)');
      const { subject } = await ctx.links.redeem(link, connection.name);
      checkSubject(connection, subject);

      const provider = await ctx.providers.client(connection);
      if (!provider.as.authorization_endpoint) {
        throw providerError(`the provider of ${connection.name} declares no authorization endpoint`);
      }
      const state = oauth.generateRandomState();
      const codeVerifier = connection.pkce ? oauth.generateRandomCodeVerifier() : undefined;
      const binding = newConsentBinding(state, callbackUrl(ctx, connection.name), CONSENT_LINK_TTL_SECS);
      const pending: PendingConsent = {
        pk: consentStateKey(state),
        connection: connection.name,
        ...(subject !== undefined ? { subject } : {}),
        ...(codeVerifier ? { codeVerifier } : {}),
        browserBinding: binding.hash,
        expiresAt: Math.floor(ctx.clock() / 1000) + CONSENT_LINK_TTL_SECS,
      };
      await ctx.state.put(pending, { kind: 'notExists' });

      const url = new URL(provider.as.authorization_endpoint);
      const params: Record<string, string> = {
        ...connection.authorizationParams,
        client_id: provider.client.client_id,
        redirect_uri: callbackUrl(ctx, connection.name),
        response_type: 'code',
        state,
        ...(connection.scopes.length > 0 ? { scope: connection.scopes.join(' ') } : {}),
        ...(codeVerifier ? { code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256' } : {}),
      };
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
      ctx.log.info('consent_started', { connection: connection.name, subject });
      return redirect(url.href, [binding.cookie]);
    } catch (err) {
      return consentErrorPage(ctx, err, 'The consent could not start');
    }
  };
}

/**
 * An error during consent, as a page: our errors say what happened (their log-only `detail` goes to the log); anything
 * else is hidden and logged.
 */
export function consentErrorPage(ctx: ConnectionsContext, err: unknown, title: string): APIGatewayProxyStructuredResultV2 {
  if (err instanceof ConnectionError) {
    if (err.detail !== undefined) ctx.log.warn('consent_failed', { error: err.code, ...errorDetail(err) });
    return messagePage(err.status, title, [err.description]);
  }
  ctx.log.error('consent_error', { error: err instanceof Error ? err : String(err) });
  return messagePage(500, title, ['Something went wrong on our side. Try again with a new consent link.']);
}
