/**
 * The synthesized policies, evaluated as IAM evaluates an Allow for a DynamoDB item call (action, table, leading key),
 * against the calls the handlers really make: the authorization server through client credentials, the JWKS, a code,
 * its redemption, a refresh, revocation and introspection; the connections function through a consent with a real
 * provider, the broker and a renewal; the rotation function through a bootstrap and a rotation.
 * Scoping reads by prefix must not refuse a call a handler needs, and must refuse another function's items.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { clientAssertionReplayKey } from '../../lambdas/authorization-server/client-assertion';
import { consentKey, pendingKey } from '../../lambdas/authorization-server/endpoints/authorization-flow';
import { jwtBearerReplayKey } from '../../lambdas/authorization-server/grants/jwt-bearer';
import { issueCode } from '../../lambdas/authorization-server/user-grants';
import { bootstrapSecrets } from '../../lambdas/rotation/bootstrap';
import { rotateSecret } from '../../lambdas/rotation/rotation';
import { MemorySecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { MemoryStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import { CLIENT_ID_TAG, SECRET_KIND_TAG, clientItemKey, connectionItemKey, type ClientRegistration } from '../../lambdas/shared/manifest';
import type { RegistrationStore, StateStore } from '../../lambdas/shared/ports';
import { tableKey } from '../../lambdas/shared/table-keys';
import { ConnectionGrant, Provider } from '../../lib';
import { connection, startHarness } from '../../testing/connections/harness';
import { browse, SECRET_BASIC, startThirdParty } from '../../testing/connections/third-party';
import { apiEvent, basicAuth, jsonBody, structured, tokenEvent } from '../../testing/events';
import { CLIENTS, createHarness } from '../lambdas/fixtures';
import { fixture, policyOf, synthJson } from './helpers';

interface ItemCall {
  readonly action: string;
  readonly key: string;
}

/** A state store that records the DynamoDB item action each call makes (as `AwsStateStore` sends it). */
function recordingState(store: StateStore, calls: ItemCall[]): StateStore {
  return {
    get: (pk) => (calls.push({ action: 'dynamodb:GetItem', key: pk }), store.get(pk)),
    put: (item, condition) => (calls.push({ action: 'dynamodb:PutItem', key: item.pk }), store.put(item, condition)),
    update: (pk, changes, condition) => (calls.push({ action: 'dynamodb:UpdateItem', key: pk }), store.update(pk, changes, condition)),
    delete: (pk, condition) => (calls.push({ action: 'dynamodb:DeleteItem', key: pk }), store.delete(pk, condition)),
  };
}

/** A registration store that records its GetItem (as `AwsRegistrationStore` sends it). */
function recordingRegistrations(store: RegistrationStore, calls: ItemCall[]): RegistrationStore {
  return { getClient: (id) => (calls.push({ action: 'dynamodb:GetItem', key: clientItemKey(id) }), store.getClient(id)) };
}

const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 's');

/**
 * Whether an Allow statement of `policy` allows `call` on `tableArn`: the action (glob, any case), the table's ARN as
 * written, and every condition, of which only `ForAllValues:StringLike` on `dynamodb:LeadingKeys` is understood (any
 * other condition on a DynamoDB statement fails the test rather than being guessed).
 */
function allows(policy: ReturnType<typeof policyOf>, tableArn: string, call: ItemCall): boolean {
  return policy.Statement.some((s) => {
    if (!s.Action.some((a) => new RegExp(glob(a).source, 'is').test(call.action))) return false;
    if (!s.Resource.includes(tableArn) && !s.Resource.includes('*')) return false;
    return Object.entries<Record<string, string[]>>(s.Condition ?? {}).every(([operator, byKey]) =>
      Object.entries(byKey).every(([key, values]) => {
        assert.equal(`${operator} ${key}`, 'ForAllValues:StringLike dynamodb:LeadingKeys', `unsupported condition in ${s.Sid}`);
        return values.some((pattern) => glob(pattern).test(call.key));
      }),
    );
  });
}

function synthesizedPolicies() {
  const f = fixture({ namePrefix: 'acme-auth' });
  f.registry.addExternalClient('Partner', { scopes: ['incidents.read'] });
  f.registry.addConnection('Billing', {
    provider: Provider.endpoints({ tokenEndpoint: 'https://billing.example/oauth/token' }),
    grant: ConnectionGrant.clientCredentials(),
  });
  const tf = synthJson(f.stack);
  const tableArn = `\${aws_dynamodb_table.${Object.keys(tf.resource.aws_dynamodb_table)[0]}.arn}`;
  return {
    tableArn,
    server: policyOf(tf, 'Registry_AuthorizationServer'),
    rotation: policyOf(tf, 'Registry_RotationFunction'),
    connections: policyOf(tf, 'Registry_Connections_Function'),
  };
}

const REDIRECT = 'https://app.example.test/cb';
const VERIFIER = 'v'.repeat(43);
const WEB: ClientRegistration & { secretId: string } = {
  name: 'Web',
  clientId: 'web-client',
  grantTypes: ['authorization_code', 'refresh_token'],
  authMethod: 'client_secret_basic',
  scopes: ['incidents.read'],
  accessTokenTtlSecs: 600,
  active: true,
  secretId: 'test/clients/Web',
  secretRotationDays: 90,
  redirectUris: [REDIRECT],
};

describe('IAM as AWS evaluates it, against the calls the handlers make', () => {
  const { tableArn, server, rotation, connections } = synthesizedPolicies();

  it("allows every table call of the authorization server's flows, and none of them to the connections function", async () => {
    const calls: ItemCall[] = [];
    const registrations = recordingRegistrations(new ManifestRegistrationStore({ clients: [...Object.values(CLIENTS), WEB] }), calls);
    const h = await createHarness({ registrations, state: (clock) => recordingState(new MemoryStateStore({ clock }), calls) });
    h.secrets.createSecret(WEB.secretId, { [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: WEB.clientId });
    await h.rotate(WEB.secretId);
    const basic: [string, string] = [WEB.clientId, await h.secretOf(WEB)];
    calls.length = 0; // the harness's own setup (the rotation's publication) is the rotation function's, below

    const ok = async (result: Promise<unknown>) => assert.equal(structured((await result) as never).statusCode, 200);
    const ccBasic: [string, string] = [CLIENTS.basic.clientId, await h.secretOf(CLIENTS.basic)];
    await ok(h.server.handle(tokenEvent({ grant_type: 'client_credentials' }, { basic: ccBasic })));
    await ok(h.server.handle(apiEvent({ path: '/.well-known/jwks.json' })));
    const challenge = createHash('sha256').update(VERIFIER).digest('base64url');
    const code = await issueCode(h.state, h.clock.now, {
      clientId: WEB.clientId,
      redirectUri: REDIRECT,
      codeChallenge: challenge,
      scope: 'incidents.read',
      sub: 'https://login.example.test|alice',
    });
    const redeemed = await h.server.handle(
      tokenEvent({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER }, { basic }),
    );
    assert.equal(structured(redeemed).statusCode, 200);
    const { refresh_token, access_token } = jsonBody<{ refresh_token: string; access_token: string }>(redeemed);
    const refreshed = await h.server.handle(tokenEvent({ grant_type: 'refresh_token', refresh_token }, { basic }));
    assert.equal(structured(refreshed).statusCode, 200);
    const form = (path: string, body: Record<string, string>) =>
      h.server.handle(
        apiEvent({
          method: 'POST',
          path,
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(...basic) },
          body: new URLSearchParams(body).toString(),
        }),
      );
    await ok(form('/oauth2/introspect', { token: access_token }));
    await ok(form('/oauth2/revoke', { token: jsonBody<{ refresh_token: string }>(refreshed).refresh_token }));

    const kinds = new Set(calls.map((c) => `${c.action} ${c.key.split('#')[0]}#`));
    assert.ok(kinds.size >= 8, [...kinds].join(', ')); // reads and writes of clients, the ring, codes, families, tokens…
    for (const call of calls) {
      assert.ok(allows(server, tableArn, call), `the server's policy refuses ${call.action} ${call.key}`);
      assert.ok(!allows(connections, tableArn, call), `the connections function may ${call.action} ${call.key}`);
    }
  });

  it('allows the server the keys of the flows above it does not drive here: sign-in, consent, assertion replay', () => {
    const keys = [
      pendingKey('request-id'),
      consentKey('https://login.example.test|alice', WEB.clientId, 'incidents.read', undefined),
      clientAssertionReplayKey(WEB.clientId, 'jti-1'),
      jwtBearerReplayKey(WEB.clientId, 'jti-2'),
    ];
    for (const key of keys) {
      for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
        assert.ok(allows(server, tableArn, { action, key }), `${action} ${key}`);
        assert.ok(!allows(connections, tableArn, { action, key }), `connections: ${action} ${key}`);
      }
    }
  });

  it("allows every table call of a connection's consent, broker and renewal, and none of them to the server", async () => {
    const calls: ItemCall[] = [];
    const ours = await startHarness({
      wrapState: (state) => recordingState(state, calls),
      onRegistrationRead: (name) => calls.push({ action: 'dynamodb:GetItem', key: connectionItemKey(name) }),
    });
    const provider = await startThirdParty({ redirectUris: [ours.callbackUrl('Crm')], accessTokenTtlSecs: 120 });
    try {
      await ours.add(connection('Crm', { provider: { issuer: provider.issuer }, apiBaseUrl: provider.apiBaseUrl }), {
        client_id: 'basic-client',
        client_secret: SECRET_BASIC,
      });
      const { response, body } = await browse(await ours.link('Crm'));
      assert.equal(response.status, 200, body);
      assert.ok('access_token' in (await ours.server.invoke({ action: 'token', connection: 'Crm' })));
      ours.clock.advance(120); // expired: the broker renews under a lease
      assert.ok('access_token' in (await ours.server.invoke({ action: 'token', connection: 'Crm' })));
    } finally {
      await ours.close();
      await provider.close();
    }
    const kinds = new Set(calls.map((c) => `${c.action} ${c.key.split('#')[0]}#`));
    assert.ok(kinds.size >= 6, [...kinds].join(', ')); // registrations, consent states, used links, token sets…
    for (const call of calls) {
      assert.ok(allows(connections, tableArn, call), `the connections function's policy refuses ${call.action} ${call.key}`);
      assert.ok(!allows(server, tableArn, call), `the server may ${call.action} ${call.key}`);
    }
  });

  it('allows the rotation function to publish the ring, and nothing else of the table', async () => {
    const calls: ItemCall[] = [];
    const state = recordingState(new MemoryStateStore(), calls);
    const secrets = new MemorySecretStore();
    secrets.createSecret('acme-auth/signing-key', { [SECRET_KIND_TAG]: 'signing-key' });
    await bootstrapSecrets(secrets, { action: 'bootstrap', secretIds: ['acme-auth/signing-key'] }, { state });
    await rotateSecret(secrets, 'acme-auth/signing-key', undefined, { state });
    assert.deepEqual(
      calls.map((c) => c.action),
      // Every publish reads the item first (its revoked kids stay revoked), then writes it: the first value, as written;
      // then the rotation: createSecret reads the published ring and adds its new key, finishSecret publishes the
      // pending ring.
      [
        ...['dynamodb:GetItem', 'dynamodb:PutItem'],
        ...['dynamodb:GetItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
        ...['dynamodb:GetItem', 'dynamodb:PutItem'],
      ],
    );
    for (const call of calls) assert.ok(allows(rotation, tableArn, call), `${call.action} ${call.key}`);
    for (const key of [clientItemKey('x'), tableKey('refreshToken', 'x'), tableKey('tokenSet', 'Billing', 'x')]) {
      assert.ok(!allows(rotation, tableArn, { action: 'dynamodb:GetItem', key }), key);
      assert.ok(!allows(rotation, tableArn, { action: 'dynamodb:PutItem', key }), key);
    }
    // The server reads the ring, never writes it; the connections function does neither.
    const ring = calls.find((c) => c.action === 'dynamodb:PutItem')!;
    assert.ok(allows(server, tableArn, { action: 'dynamodb:GetItem', key: ring.key }));
    assert.ok(!allows(server, tableArn, ring));
    assert.ok(!allows(connections, tableArn, { action: 'dynamodb:GetItem', key: ring.key }));
  });
});
