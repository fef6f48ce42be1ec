/**
 * The authorization server's timeout is computed from its slowest request, the sign-in callback
 * (`SIGN_IN_CALLBACK_BUDGET_MS`: two upstream document fetches and a count of AWS calls). This holds the count to
 * the code: a cold container finishing a sign-in whose consent is remembered (the longest path) makes no more calls
 * to DynamoDB and Secrets Manager than the budget allows, and fetches from the upstream twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { consentKey } from '../../lambdas/authorization-server/endpoints/authorization-flow';
import { createAuthorizationServer } from '../../lambdas/authorization-server/server';
import { namespacedSubject } from '../../lambdas/authorization-server/upstream';
import { MemoryStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import {
  AWS_CALL_ALLOWANCE_MS,
  AWS_MAX_ATTEMPTS,
  AWS_REQUEST_TIMEOUT_MS,
  AWS_RETRY_DELAY_MS,
  DOCUMENT_FETCH_TIMEOUT_MS,
  SIGN_IN_CALLBACK_BUDGET_MS,
} from '../../lambdas/shared/defaults';
import { silentLogger } from '../../lambdas/shared/log';
import { apiEvent, structured } from '../../testing/events';
import {
  SIGN_IN_REDIRECT_URI,
  SIGN_IN_WEB_CLIENT,
  signInRegistry,
  startStubOidcUpstream,
  type StubOidcUpstream,
} from '../../testing/stub-oidc-upstream';

const UPSTREAM_CLIENT_ID = 'registry';
const REDIRECT_URI = SIGN_IN_REDIRECT_URI;
const WEB = SIGN_IN_WEB_CLIENT;

/** Counts every call made on `target`'s methods (the AWS-backed ports, one call each). */
function counted<T extends object>(target: T, calls: string[], name: string): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(`${name}.${String(property)}`);
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

describe("the sign-in callback's AWS calls fit the authorization server's budget", () => {
  let upstream: StubOidcUpstream;
  before(async () => {
    upstream = await startStubOidcUpstream(UPSTREAM_CLIENT_ID);
  });
  after(() => upstream.close());

  it('a cold container finishing a sign-in with remembered consent: 2 upstream fetches, AWS calls within the budget', async () => {
    const { config, secrets } = await signInRegistry(upstream, UPSTREAM_CLIENT_ID);
    const state = new MemoryStateStore();
    const registrations = new ManifestRegistrationStore({ clients: [WEB] });
    const server = () => createAuthorizationServer({ config, secrets, registrations, state, log: silentLogger });

    // The user consented before, so the callback goes straight back to the client with a code.
    await state.put({ pk: consentKey(namespacedSubject(upstream.issuer, 'alice'), WEB.clientId, 'incidents.read', undefined) });
    const authorize = await server().handle(
      apiEvent({
        path: '/oauth2/authorize',
        query: new URLSearchParams({
          client_id: WEB.clientId,
          redirect_uri: REDIRECT_URI,
          response_type: 'code',
          scope: 'incidents.read',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        }).toString(),
      }),
    );
    assert.equal(structured(authorize).statusCode, 302, structured(authorize).body);
    const upstreamUrl = new URL(String(structured(authorize).headers?.Location));
    upstream.setNonce(upstreamUrl.searchParams.get('nonce')!);
    const cookie = (structured(authorize).cookies ?? []).map((c) => c.split(';')[0]).join('; ');

    // Another container, cold, gets the callback: nothing cached.
    const calls: string[] = [];
    upstream.fetches.length = 0;
    const cold = createAuthorizationServer({
      config,
      secrets: counted(secrets, calls, 'secrets'),
      registrations: counted(registrations, calls, 'registrations'),
      state: counted(state, calls, 'state'),
      log: silentLogger,
    });
    const callback = await cold.handle(
      apiEvent({
        path: '/oauth2/callback',
        headers: { cookie },
        query: new URLSearchParams({ code: 'upstream-code', state: upstreamUrl.searchParams.get('state')! }).toString(),
      }),
    );
    assert.equal(structured(callback).statusCode, 303, structured(callback).body);
    assert.match(String(structured(callback).headers?.Location), /^https:\/\/app\.example\.test\/callback\?code=/);

    assert.deepEqual(upstream.fetches, ['/.well-known/openid-configuration', '/token'], 'discovery, then the code exchange');
    // The allowance of one call is what the adapters' SDK clients enforce (`adapters/aws-client-config.ts`).
    assert.equal(AWS_CALL_ALLOWANCE_MS, AWS_MAX_ATTEMPTS * AWS_REQUEST_TIMEOUT_MS + (AWS_MAX_ATTEMPTS - 1) * AWS_RETRY_DELAY_MS);
    const awsCallsBudgeted = (SIGN_IN_CALLBACK_BUDGET_MS - 2 * DOCUMENT_FETCH_TIMEOUT_MS) / AWS_CALL_ALLOWANCE_MS;
    assert.ok(calls.length <= awsCallsBudgeted, `${calls.length} AWS calls (${calls.join(', ')}), budgeted ${awsCallsBudgeted}`);
  });
});
