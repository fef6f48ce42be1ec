import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TerraformVariable, Testing, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ExternalClient, GrantType } from '../../lib';
import { fixture } from './helpers';

const hello = { entry: 'lambdas/examples/hello.ts' };

describe('validation', () => {
  it('fails on duplicate client names, naming the name', () => {
    const { stack, registry } = fixture();
    registry.addExternalClient('Acme', { scopes: ['a'] });
    new ExternalClient(new Construct(stack, 'Elsewhere'), 'Acme', { registry, scopes: ['a'] });
    assert.throws(() => Testing.synth(stack, true), /duplicate external client name "Acme"/);
  });

  it('refuses a construct registered as a part it is not (the registry lists each kind by its class)', () => {
    const { stack, registry } = fixture();
    const { clientId, registration } = registry.addExternalClient('Real', { scopes: ['a'] });
    const impostor = Object.assign(new Construct(stack, 'Impostor'), { clientId, registration });
    assert.throws(() => registry.registerClient(impostor), /Impostor: registered as ExternalClient but is not one/);
    assert.deepEqual(
      registry.externalClients.map((c) => c.node.id),
      ['Real'],
    );
  });

  it('fails on duplicate client ids, naming the id', () => {
    const { stack, registry } = fixture();
    registry.addExternalClient('Acme', { scopes: ['a'], clientId: 'shared-id' });
    registry.addExternalClient('Globex', { scopes: ['a'], clientId: 'shared-id' });
    assert.throws(() => Testing.synth(stack, true), /duplicate clientId "shared-id"/);
  });

  it('fails on a scope outside the RFC 6749 charset, showing the scope', () => {
    const { registry } = fixture();
    assert.throws(() => registry.addExternalClient('A', { scopes: ['incidents read'] }), /scope "incidents read" is not a valid/);
    assert.throws(() => registry.addExternalClient('B', { scopes: ['say"hi'] }), /scope "say\\"hi"/);
    assert.throws(() => registry.addExternalClient('C', { scopes: ['back\\slash'] }), /scope "back\\\\slash"/);
    assert.throws(() => registry.addExternalClient('D', { scopes: ['caf\u00e9'] }), /scope "café"/);
    assert.throws(() => registry.addExternalClient('E', { scopes: [] }), /at least one scope/);
    assert.throws(() => registry.addRoute('GET /v1/x', { handler: hello, scopes: ['x y'] }), /route "GET \/v1\/x": scope "x y"/);
    assert.doesNotThrow(() => registry.addExternalClient('F', { scopes: ['https://api.example.com/read', 'a:b!#$%&'] }));
  });

  it('fails on unknown or unimplemented grant types, naming the value', () => {
    const { registry } = fixture();
    assert.throws(
      () => registry.addExternalClient('A', { scopes: ['a'], grantTypes: [GrantType.of('urn:ietf:params:oauth:grant-type:device_code')] }),
      /external client "A": grant type "urn:ietf:params:oauth:grant-type:device_code" is not implemented yet; supported: client_credentials/,
    );
    assert.throws(
      () => registry.addExternalClient('B', { scopes: ['a'], grantTypes: [GrantType.of('magic')] }),
      /unknown grant type "magic"/,
    );
    assert.throws(
      () => registry.addExternalClient('C', { scopes: ['a'], grantTypes: [GrantType.of('password')] }),
      /grant type "password" is not allowed/,
    );
    const ok = registry.addExternalClient('D', { scopes: ['a'], grantTypes: [GrantType.of('client_credentials')] });
    assert.deepEqual(ok.registration.grantTypes, ['client_credentials']);
  });

  it('fails on TTLs and periods out of range, showing the value', () => {
    assert.throws(() => fixture({ accessTokenTtlSecs: 30 }), /accessTokenTtlSecs must be an integer between 60 and 86400, got 30/);
    assert.throws(() => fixture({ accessTokenTtlSecs: 90_000 }), /got 90000/);
    assert.throws(() => fixture({ signingKeyRotationDays: 0 }), /signingKeyRotationDays must be an integer between 1 and 365, got 0/);
    assert.throws(() => fixture({ clientSecretOverlapHours: 721 }), /clientSecretOverlapHours .* got 721/);
    assert.throws(() => fixture({ logRetentionDays: 42 }), /logRetentionDays must be one of CloudWatch's values .* got 42/);
    const { registry } = fixture();
    assert.throws(
      () => registry.addExternalClient('A', { scopes: ['a'], accessTokenTtlSecs: 59.5 }),
      /external client "A": accessTokenTtlSecs must be an integer between 60 and 86400, got 59.5/,
    );
    assert.throws(() => registry.addExternalClient('B', { scopes: ['a'], secretRotationDays: 400 }), /secretRotationDays .* got 400/);
  });

  it('fails on bad route keys, showing the key', () => {
    const { registry } = fixture();
    const add = (key: string) => () => registry.addRoute(key, { handler: hello, scopes: ['a'] });
    assert.throws(add('GET v1/incidents'), /route key must be "METHOD \/path".*got "GET v1\/incidents"/);
    assert.throws(add('FETCH /v1'), /method "FETCH" is not one of/);
    assert.throws(add('get /v1'), /got "get \/v1"/);
    assert.throws(add('GET /v1//x'), /path segment "" is not valid/);
    assert.throws(add('GET /{proxy+}/x'), /greedy variable "\{proxy\+\}" must be the last segment/);
    assert.throws(add('POST /oauth2/token'), /under a path the registry serves itself/);
    // Every server route's first segment is reserved, including the IAM-only and local-only ones.
    for (const key of ['POST /internal/introspect', 'GET /connections/x/connect', 'POST /_local/anything', 'GET /.well-known/x']) {
      assert.throws(add(key), /under a path the registry serves itself/, key);
    }
    assert.doesNotThrow(add('ANY /v1/{proxy+}'));
  });

  it('fails on a bad name prefix or client id, showing the value', () => {
    assert.throws(() => fixture({ namePrefix: 'Acme_Auth' }), /namePrefix must match .* got "Acme_Auth"/);
    const { registry } = fixture();
    assert.throws(
      () => registry.addExternalClient('A', { scopes: ['a'], clientId: 'has space' }),
      /clientId must match .* got "has space"/,
    );
  });

  it('hands the key schedule to the rotation function; a 1-day rotation with 1-day tokens keeps both windows', () => {
    const { stack, registry } = fixture({ signingKeyRotationDays: 1 });
    registry.addExternalClient('LongLived', { scopes: ['a'], accessTokenTtlSecs: 86_400 });
    const synthesized = JSON.parse(Testing.synth(stack, true)) as {
      resource: { aws_lambda_function: Record<string, { function_name: string; environment?: { variables: Record<string, string> } }> };
    };
    const rotation = Object.values(synthesized.resource.aws_lambda_function).find((f) => f.function_name.endsWith('-rotation'))!;
    assert.deepEqual(
      {
        period: rotation.environment?.variables.OAUTH_SIGNING_KEY_ROTATION_SECS,
        prePublish: rotation.environment?.variables.OAUTH_SIGNING_KEY_PRE_PUBLISH_SECS,
        longestTtl: rotation.environment?.variables.OAUTH_LONGEST_ACCESS_TOKEN_TTL_SECS,
      },
      { period: '86400', prePublish: '7200', longestTtl: '86400' },
    );
    assert.throws(() => fixture({ signingKeyRotationDays: Token.asNumber('${var.days}') }), /signingKeyRotationDays must be a literal/);
  });

  it('fails when the authorization server environment would exceed 4 KB', () => {
    const { stack, registry } = fixture();
    const scopes = Array.from({ length: 200 }, (_, i) => `some.rather.long.scope.name.${i}`);
    registry.addExternalClient('Big', { scopes });
    assert.throws(
      () => Testing.synth(stack, true),
      /environment would be \d+ bytes, over Lambda's 4096: OAUTH_SCOPES_SUPPORTED holds 200 scopes/,
    );
  });

  it('lets unresolved tokens through range checks', () => {
    const { stack, registry } = fixture();
    const ttl = new TerraformVariable(stack, 'Ttl', { type: 'number' });
    const client = registry.addExternalClient('A', { scopes: ['a'], accessTokenTtlSecs: Token.asNumber(ttl.value) });
    assert.ok(Token.isUnresolved(client.registration.accessTokenTtlSecs));
  });

  it('keeps Terraform template syntax in descriptions literal in the registration item', () => {
    const { stack, registry } = fixture();
    registry.addExternalClient('A', { scopes: ['a'], description: 'costs ${x} and %{y}' });
    const tf = JSON.parse(Testing.synth(stack, true));
    const item = Object.values<any>(tf.resource.aws_dynamodb_table_item)[0].item as string;
    assert.ok(item.includes('costs $${x} and %%{y}'), item);
    assert.equal(registry.manifest().clients[0].description, 'costs ${x} and %{y}');
  });
});
