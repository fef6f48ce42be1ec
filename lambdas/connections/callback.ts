/**
 * `GET /connections/{name}/callback?code=…&state=…`: the provider sent the browser back. Take the pending consent
 * `state` names (once), check it came back to the browser that started the consent (its cookie), check the response
 * (RFC 6749 §4.1.2, RFC 9207 `iss`), exchange the code with the PKCE verifier, store the token set, and show what
 * happened.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as oauth from 'oauth4webapi';
import { consentErrorPage, consentStateKey, type PendingConsent } from './connect';
import { clearConsentCookie, sentByConsentingBrowser } from './consent-cookie';
import { callbackUrl, connectionOf, type ConnectionsContext } from './context';
import { invalidRequest } from './errors';
import { messagePage } from './pages';
import { describeProviderError, providerFailure } from './providers';

export function createCallbackEndpoint(ctx: ConnectionsContext) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const connection = await connectionOf(ctx, event);
      const params = new URLSearchParams(event.rawQueryString ?? '');
      const state = params.get('state');
      if (!state) throw invalidRequest('the provider sent no state: start again with a new consent link');
      const pending = await ctx.state.delete<PendingConsent>(consentStateKey(state));
      if (!pending || pending.connection !== connection.name) {
        throw invalidRequest('this consent is unknown, has expired or was already completed: start again with a new consent link');
      }
      if (!sentByConsentingBrowser(event, pending.browserBinding)) {
        ctx.log.warn('consent_browser_mismatch', { connection: connection.name, subject: pending.subject });
        throw invalidRequest(
          'this consent was started in another browser (or its cookie was blocked): open the consent link again in this browser',
        );
      }
      const provider = await ctx.providers.client(connection);

      let callbackParams: URLSearchParams;
      try {
        callbackParams = oauth.validateAuthResponse(provider.as, provider.client, params, state);
      } catch (err) {
        if (err instanceof oauth.AuthorizationResponseError) {
          const description = err.error_description ? ` (${err.error_description})` : '';
          ctx.log.warn('consent_refused', { connection: connection.name, subject: pending.subject, error: err.error });
          return messagePage(400, 'The provider did not grant access', [
            `The provider answered: ${err.error}${description}.`,
            'Nothing was stored. Ask for a new consent link to try again.',
          ]);
        }
        throw invalidRequest("the provider's response is not valid", { detail: (err as Error).message });
      }

      let tokens: oauth.TokenEndpointResponse;
      try {
        const response = await oauth.authorizationCodeGrantRequest(
          provider.as,
          provider.client,
          provider.auth,
          callbackParams,
          callbackUrl(ctx, connection.name),
          pending.codeVerifier ?? oauth.nopkce,
          { ...provider.options(), additionalParameters: connection.tokenParams },
        );
        tokens = await oauth.processAuthorizationCodeResponse(provider.as, provider.client, response);
      } catch (err) {
        ctx.log.warn('code_exchange_failed', { connection: connection.name, subject: pending.subject, ...describeProviderError(err) });
        throw providerFailure(err, (reason) => `The code could not be exchanged for tokens: ${reason}. Nothing was stored.`);
      }
      await ctx.tokenSets.storeConsent(connection, pending.subject, tokens);
      return messagePage(
        200,
        `Connected to ${connection.name}`,
        [
          `The connection ${connection.name} is ready${pending.subject !== undefined ? ` for ${pending.subject}` : ''}.`,
          tokens.refresh_token
            ? 'Tokens will be refreshed automatically.'
            : 'The provider gave no refresh token: consent again when the access token expires.',
          'You can close this window.',
        ],
        [clearConsentCookie(state, callbackUrl(ctx, connection.name))],
      );
    } catch (err) {
      return consentErrorPage(ctx, err, 'The connection could not be completed');
    }
  };
}
