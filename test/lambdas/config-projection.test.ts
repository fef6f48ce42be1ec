/**
 * One projection from declaration to runtime (`lambdas/shared/config.ts`): what the constructs write into each
 * function's environment decodes, at cold start, to exactly what the manifest projects, the settings local mode runs
 * with. Checked on the app that uses every option, whose manifests carry every runtime setting.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { App, TerraformStack } from 'cdktf';
import {
  authorizationServerConfig,
  authorizationServerEnvironment,
  authorizationServerFromEnv,
  connectionsFromEnv,
  connectionsSettings,
  keySchedule,
  keyScheduleFromEnv,
} from '../../lambdas/shared/config';
import type { RegistryManifest } from '../../lambdas/shared/manifest';
import { ENV } from '../../lambdas/shared/names';
import { resolveTokens } from '../../lib/private/resolve';
import { synthEnvironment } from '../../lib/private/synth-environment';
import { repoRoot } from '../../testing/example-app';
import { synthesizeForDeploy } from '../../testing/terraform-check';

type Env = Record<string, string>;

describe('one projection: the environment the constructs write decodes to the manifest projection', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-projection-'));
  let stackDir: string;
  let functions: { function_name: string; environment?: { variables: Env } }[];
  after(() => rmSync(outdir, { recursive: true, force: true }));
  before(() => {
    synthesizeForDeploy(path.join(repoRoot, 'testing', 'every-option-app.ts'), outdir);
    stackDir = path.join(outdir, 'stacks', 'every-option');
    const tf = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    functions = Object.values(tf.resource.aws_lambda_function);
  });
  const manifests = (): RegistryManifest[] =>
    readdirSync(stackDir)
      .filter((f) => f.startsWith('oauth-registry.'))
      .map((f) => JSON.parse(readFileSync(path.join(stackDir, f), 'utf8')) as RegistryManifest);
  const envOf = (functionName: string): Env => {
    const fn = functions.find((f) => f.function_name === functionName);
    assert.ok(fn?.environment, `function ${functionName} with an environment`);
    return fn.environment.variables;
  };

  it('the authorization server: every setting, user sign-in, MCP servers, CIMD and DCR included', () => {
    const checked = manifests().filter((m) => m.userAuthentication && m.mcpServers && m.dynamicClientRegistration);
    assert.ok(checked.length > 0, 'a registry declaring every server setting');
    for (const manifest of manifests()) {
      const env = envOf(`${manifest.namePrefix}-authorization-server`);
      const { tableName, signingKeySecretId, ...decoded } = authorizationServerFromEnv(env);
      // The two values that are Terraform references in the environment (literals in the manifest).
      assert.match(tableName, /^\$\{aws_dynamodb_table\./);
      assert.match(signingKeySecretId, /^\$\{aws_secretsmanager_secret\..*\.name\}$/);
      const { signingKeySecretId: _name, ...projected } = authorizationServerConfig(manifest, env[ENV.ISSUER]);
      assert.deepEqual(decoded, projected, manifest.namePrefix);
    }
  });

  it('the rotation function: the key schedule', () => {
    for (const manifest of manifests()) {
      assert.deepEqual(keyScheduleFromEnv(envOf(`${manifest.namePrefix}-rotation`)), keySchedule(manifest), manifest.namePrefix);
    }
  });

  it('the connections function: its settings', () => {
    const withConnections = manifests().filter((m) => (m.connections ?? []).length > 0);
    assert.ok(withConnections.length > 0);
    for (const manifest of withConnections) {
      const env = envOf(`${manifest.namePrefix}-connections`);
      const { tableName, kmsKeyId, linkKeySecretId, ...decoded } = connectionsFromEnv(env);
      assert.match(
        `${tableName} ${kmsKeyId} ${linkKeySecretId}`,
        /^\$\{aws_dynamodb_table\..*\} \$\{aws_kms_key\..*\} \$\{aws_secretsmanager/,
      );
      const { linkKeySecretId: _name, ...projected } = connectionsSettings(manifest, env[ENV.ISSUER]);
      assert.deepEqual(decoded, projected);
    }
  });
});

describe('the environment encoding', () => {
  const manifest = {
    namePrefix: 'acme',
    audience: 'https://api.example.com',
    secretOverlapSecs: 3600,
    clients: [
      { scopes: ['b', 'a'], authMethod: 'client_secret_basic', grantTypes: ['client_credentials'] },
      { scopes: ['a'], authMethod: 'none', grantTypes: ['authorization_code', 'refresh_token'] },
    ],
    routes: [{ routeKey: 'GET /x', scopes: [], audiences: ['https://r.example.com', 'https://r.example.com'] }],
    mcpServers: [{ name: 'Tools', path: '/mcp', scopes: ['a'], resourceName: 'Tools' }],
    dynamicClientRegistration: { registrationsPerHour: 20, unusedExpirySecs: 86_400, scopes: ['a'], accessTokenTtlSecs: 900 },
    clientIdMetadataDocuments: { scopes: ['a'], accessTokenTtlSecs: 900, allowedHosts: ['agents.example.com'] },
    userAuthentication: {
      issuer: 'https://idp.example.com',
      clientId: 'c',
      scopes: ['openid', 'email'],
      secretId: 'acme/user-authentication',
    },
  } as unknown as RegistryManifest;

  it('reads back every setting it writes', () => {
    const settings = { ...authorizationServerConfig(manifest, 'https://auth.example.com'), tableName: 'acme-registry' };
    assert.deepEqual(authorizationServerFromEnv(authorizationServerEnvironment(settings)), settings);
    assert.deepEqual(settings.resources, ['https://r.example.com'], 'route audiences, once each');
    assert.deepEqual(settings.scopesSupported, ['a', 'b']);
  });

  it('never carries allowPrivateNetwork: a deployed server reaches private addresses only where a URL opted in', () => {
    const settings = { ...authorizationServerConfig(manifest, 'https://auth.example.com'), tableName: 't', allowPrivateNetwork: true };
    assert.equal(authorizationServerFromEnv(authorizationServerEnvironment(settings)).allowPrivateNetwork, undefined);
  });

  it('refuses a number of seconds that is not one, naming the variable', () => {
    assert.throws(
      () => keyScheduleFromEnv({ [ENV.SIGNING_KEY_ROTATION_SECS]: 'thirty days' }),
      /OAUTH_SIGNING_KEY_ROTATION_SECS must be a number of seconds, got thirty days/,
    );
  });
});

describe('synthEnvironment', () => {
  it('produces its values at synth, and refuses variables that appear after the function was created', () => {
    const stack = new TerraformStack(new App(), 'stack');
    let scopes = '';
    let extra = false;
    const env = synthEnvironment(() => ({ SCOPES: scopes, ...(extra ? { EXTRA: 'x' } : {}) }));
    scopes = 'a b';
    assert.deepEqual(resolveTokens(stack, env), { SCOPES: 'a b' });
    const late = synthEnvironment(() => ({ SCOPES: scopes, ...(extra ? { EXTRA: 'x' } : {}) }));
    extra = true;
    assert.throws(() => resolveTokens(stack, late), /EXTRA came or went after the function was created/);
  });
});
