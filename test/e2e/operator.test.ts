/**
 * The operator's experience, as a user meets it: `npm start` for two apps in turn (leftover stacks, per-registry state,
 * the port found from another terminal), a banner whose every printed command runs as printed, the partner hand-off
 * run through the README's openid-client and oauth4webapi snippets, deployed commands reading the stack, CLI errors
 * without stack frames, `status` of every registration, the dashboard's headers and its Connect guard, `synth`'s summary.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startDev, testAppDir, type Dev } from '../../testing/dev-server';
import { repoRoot } from './fixture';

const exec = promisify(execFile);
const cli = path.join(repoRoot, 'bin', 'oauth-registry.js');

const OTHER_APP = `
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { ClientAuth, GrantType, OAuthRegistry, Provider, UserAuthentication } from '../../../lib';

const app = new App();
const stack = new TerraformStack(app, 'other-api');
new AwsProvider(stack, 'aws', { region: 'us-east-2' });
const registry = new OAuthRegistry(stack, 'Registry', {
  namePrefix: 'other-api',
  userAuthentication: UserAuthentication.oidc({ issuer: 'https://login.example.com', clientId: 'other-api' }),
});
registry.addExternalClient('WebApp', {
  grantTypes: [GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN],
  redirectUris: ['https://app.example.com/callback'],
  publicClient: true,
  scopes: ['a.read'],
});
registry.addExternalClient('PartnerEtl', {
  authMethod: ClientAuth.privateKeyJwt({ jwksUri: 'https://partner.example/jwks.json' }),
  scopes: ['a.read'],
});
registry.addExternalClient('Nightly', { authMethod: ClientAuth.CLIENT_SECRET_POST, scopes: ['a.read'] });
registry.addConnection('Crm', {
  provider: Provider.endpoints({ authorizationEndpoint: 'https://crm.example/authorize', tokenEndpoint: 'https://crm.example/token' }),
});
app.synth();
`;

async function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot, env: options.env ?? process.env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  child.stdin.end(options.input ?? '');
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout, stderr };
}

/** A printed command, run by a shell in the repository as the user would paste it. */
async function runPrinted(command: string): Promise<{ stdout: string; stderr: string }> {
  return exec('sh', ['-c', command], { cwd: repoRoot, maxBuffer: 1 << 20 });
}

/** An environment without any AWS credential source (and no instance metadata to wait for). */
function noAwsEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  };
}

const readmeSnippets = (): string[] =>
  [...readFileSync(path.join(repoRoot, 'README.md'), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)]
    .map((m) => m[1])
    .filter((code) => /from '(openid-client|oauth4webapi)'/.test(code));

describe('two apps served in turn, from one folder', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'oauth-registry-operator-'));
  const outdir = path.join(work, 'cdktf.out');
  const stateDir = path.join(work, 'state');
  const common = ['--outdir', outdir, '--state-dir', stateDir];
  const otherApp = path.relative(repoRoot, path.join(testAppDir(), 'other.ts'));
  writeFileSync(path.join(repoRoot, otherApp), OTHER_APP);
  let main: Dev;
  let acme: { client_id: string; client_secret: string };

  before(async () => {
    main = await startDev(common);
    acme = JSON.parse(readFileSync(path.join(stateDir, 'incident-api', 'local', 'clients.json'), 'utf8')).AcmeMonitoring;
  });
  after(async () => {
    await main.stop();
  });

  it('credentials show prints the complete hand-off, as JSON or env, and finds the port of the running server', async () => {
    const json = await runCli(['credentials', 'show', 'AcmeMonitoring', '--local', ...common]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      issuer: main.issuer,
      token_endpoint: `${main.issuer}/oauth2/token`,
      client_id: acme.client_id,
      client_secret: acme.client_secret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      scope: 'incidents.read incidents.write',
      audience: main.issuer,
    });
    const env = await runCli(['credentials', 'show', 'ReportingJob', '--local', '--format', 'env', ...common]);
    assert.match(env.stdout, new RegExp(`^OAUTH_ISSUER=${main.issuer}\n`));
    assert.match(env.stdout, /\nOAUTH_TOKEN_ENDPOINT_AUTH_METHOD=client_secret_post\n/);
    assert.match(env.stdout, /\nOAUTH_SCOPE=reports.read\n/);
  });

  for (const name of ['AcmeMonitoring', 'ReportingJob']) {
    it(`the README's openid-client and oauth4webapi snippets get a token for ${name} as pasted`, async () => {
      const { stdout } = await runCli(['credentials', 'show', name, '--local', '--format', 'env', ...common]);
      const handoff = Object.fromEntries(
        stdout
          .trim()
          .split('\n')
          .map((line) => line.split(/=(.*)/s).slice(0, 2)),
      );
      const snippets = readmeSnippets();
      assert.equal(snippets.length, 2, 'one snippet per library');
      for (const code of snippets) {
        const child = spawnSync(process.execPath, ['--input-type=module'], {
          cwd: repoRoot,
          input: code,
          env: { ...process.env, ...handoff, OAUTH_SCOPE: handoff.OAUTH_SCOPE.replace(/^'|'$/g, '') },
          encoding: 'utf8',
        });
        assert.equal(child.status, 0, child.stderr);
        const result = JSON.parse(child.stdout) as { token_type: string; expires_in: number; scope: string };
        assert.equal(result.token_type.toLowerCase(), 'bearer');
        assert.ok(result.expires_in > 0);
      }
    });
  }

  it('status --local (no --port) covers clients, signing keys and connections, and never prints a secret or key', async () => {
    const { stdout, code, stderr } = await runCli(['status', '--local', '--json', '--no-synth', ...common]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout);
    assert.equal(report.issuer, main.issuer);
    const client = report.clients.find((c: { name: string }) => c.name === 'AcmeMonitoring');
    assert.equal(client.clientId, acme.client_id);
    assert.equal(client.secret.hasValue, true);
    assert.equal(client.secret.nextRotationAt - client.secret.currentSince, 90 * 86_400);
    assert.deepEqual(
      report.signingKeys.keys.map((k: { state: string }) => k.state),
      ['signing', 'next'],
    );
    assert.equal(report.connections[0].connection, 'Salesforce');
    assert.equal(report.connectionCredentials.Salesforce, false);
    const redirectUri = `${main.issuer}/connections/Salesforce/callback`;
    assert.deepEqual(report.connectionRedirectUris, { Salesforce: redirectUri });
    assert.ok(main.banner.includes(`redirect URI ${redirectUri}   (register it at the provider)`), main.banner);
    assert.ok(!stdout.includes(acme.client_secret));
    assert.doesNotMatch(stdout, /"d"\s*:/);

    const html = path.join(work, 'status.html');
    const table = await runCli(['status', '--local', '--no-synth', '--html', html, ...common]);
    assert.match(table.stdout, /\nclients\n\s+CLIENT\s+CLIENT ID\s+ACTIVE/);
    assert.match(table.stdout, /\nsigning keys\n\s+KID\s+STATE/);
    assert.match(table.stdout, /\nconnections\nCONNECTION\s+SUBJECT/);
    assert.ok(table.stdout.includes(`redirect URI of Salesforce (register it at the provider): ${redirectUri}\n`), table.stdout);
    const page = readFileSync(html, 'utf8');
    assert.ok(page.includes(`<code class="redirect-uri">${redirectUri}</code>`));
    assert.ok((await (await fetch(`${main.issuer}/`)).text()).includes(`<code class="redirect-uri">${redirectUri}</code>`));
    assert.match(page, /AcmeMonitoring/);
    assert.ok(!page.includes(acme.client_secret));
    assert.doesNotMatch(page, /<form/); // a file has no live buttons
  });

  it('the dashboard at / has the consent page headers; its Connect refuses a cross-site POST', async () => {
    const response = await fetch(`${main.issuer}/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    const html = await response.text();
    assert.match(html, /AcmeMonitoring/);
    assert.ok(!html.includes(acme.client_secret));
    const image = await fetch(`${main.issuer}/`, { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' } });
    assert.equal(image.status, 403, 'an <img> on another site gets nothing');
    // A burst of reports shares one read of the state, and the JWKS keeps answering meanwhile.
    const burst = await Promise.all([
      ...Array.from({ length: 10 }, () => fetch(`${main.issuer}/`).then(async (r) => [r.status, await r.text()] as const)),
      fetch(`${main.issuer}/.well-known/jwks.json`).then(async (r) => [r.status, await r.text()] as const),
    ]);
    assert.deepEqual(
      burst.map(([status]) => status),
      Array.from({ length: 11 }, () => 200),
    );
    assert.match(burst[10][1], /"keys":\[\{/);
    const forged = await fetch(`${main.issuer}/_local/dashboard/connect`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'connection=Salesforce&subject=alice',
      redirect: 'manual',
    });
    assert.equal(forged.status, 403);
    const noOrigin = await fetch(`${main.issuer}/_local/dashboard/connect`, {
      method: 'POST',
      body: 'connection=Salesforce',
      redirect: 'manual',
    });
    assert.equal(noOrigin.status, 403);
    const same = await fetch(`${main.issuer}/_local/dashboard/connect`, {
      method: 'POST',
      headers: { origin: main.issuer, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'connection=Salesforce&subject=alice',
      redirect: 'manual',
    });
    assert.equal(same.status, 303);
    assert.match(same.headers.get('location') ?? '', new RegExp(`^${main.issuer}/connections/Salesforce/connect\\?link=ey`));
  });

  it('serves another app (leftover stacks, its own state), every printed command runs, then main.ts again', async () => {
    await main.stop();
    const other = await startDev(['--app', otherApp, ...common]);
    try {
      const { banner, issuer } = other;
      // Every client, with its grants and auth method; the curl line only for a client that can use it.
      for (const name of ['WebApp', 'PartnerEtl', 'Nightly']) assert.match(banner, new RegExp(`client ${name} \\(`));
      assert.match(banner, /client WebApp \(none; grants: authorization_code refresh_token;/);
      assert.match(banner, /client PartnerEtl \(private_key_jwt;/);
      assert.match(banner, /get a token \(Nightly\):\n\s+curl .* -d client_id=\S+ -d client_secret=\S+ -d grant_type=client_credentials/);
      assert.match(banner, new RegExp(`authorize\\s+GET ${issuer}/oauth2/authorize`));
      assert.match(banner, new RegExp(`register this redirect URI there: ${issuer}/oauth2/callback`));
      assert.match(banner, /! the upstream client secret is not set/);
      assert.match(banner, /! connection Crm has no credentials yet/);
      const curl = /^\s+(curl .*grant_type=client_credentials)$/m.exec(banner)![1];
      assert.equal(JSON.parse((await runPrinted(curl)).stdout).token_type, 'Bearer');

      // The printed commands carry --app and the state folder, and run as printed.
      const upstream = /pbpaste \| (npm run cli -- credentials set-upstream-secret .*)$/m.exec(banner)![1];
      assert.ok(upstream.includes(`--app ${otherApp}`), upstream);
      await runPrinted(`printf upstream-secret | ${upstream}`);
      const connect = /consent\s+(npm run cli -- connect Crm .*?)\s{3}\(or the Connect/m.exec(banner)![1];
      const link = (await runPrinted(connect)).stdout.trim().split('\n').at(-1)!; // after npm's own "> …" lines
      assert.match(link, new RegExp(`^${issuer}/connections/Crm/connect\\?link=ey`));
      // From another terminal, without --port: the running server's port, not 8787.
      const found = await runCli(['connect', 'Crm', '--local', '--app', otherApp, '--no-synth', ...common]);
      assert.match(found.stdout, new RegExp(`^${issuer}/connections/Crm/connect`), found.stderr);
      const nightly = JSON.parse((await runCli(['credentials', 'show', 'PartnerEtl', '--local', '--app', otherApp, ...common])).stdout);
      assert.equal(nightly.token_endpoint_auth_method, 'private_key_jwt');
      assert.equal(nightly.client_secret, undefined);
    } finally {
      await other.stop();
    }
    const again = await startDev(common);
    try {
      assert.doesNotMatch(again.banner, /generated now/);
      assert.match(again.banner, new RegExp(`client_id\\s+${acme.client_id}`));
      const curl = /^\s+(curl .*grant_type=client_credentials)$/m.exec(again.banner)![1];
      assert.ok(curl.includes(acme.client_secret), 'main.ts kept its own credentials');
      const others = JSON.parse(readFileSync(path.join(stateDir, 'other-api', 'local', 'clients.json'), 'utf8'));
      assert.deepEqual(Object.keys(others), ['Nightly']);
      assert.doesNotMatch(again.banner, /! the upstream client secret/); // main.ts has no sign-in
    } finally {
      await again.stop();
    }
    assert.ok(!existsSync(path.join(stateDir, 'incident-api', 'local', 'server.json')), 'a stopped server removes its port file');
  });
});

describe('deployed commands use what the app knows; errors speak plainly', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'oauth-registry-deployed-'));
  const outdir = path.join(work, 'cdktf.out');

  it("reads the region from the stack's provider and says when AWS credentials are missing", async () => {
    const show = await runCli(['credentials', 'show', 'AcmeMonitoring', '--issuer', 'https://api.example.com', '--outdir', outdir], {
      env: noAwsEnv(),
    });
    assert.equal(show.code, 1);
    assert.doesNotMatch(show.stderr, /Region is missing/);
    assert.match(show.stderr, /^oauth-registry: no usable AWS credentials \(.*\): .*AWS_PROFILE/m);
    const set = await runCli(['connections', 'set-credentials', 'Salesforce', '--no-synth', '--outdir', outdir], {
      env: noAwsEnv(),
      input: '{"client_id":"a","client_secret":"b"}',
    });
    assert.match(set.stderr, /no usable AWS credentials/);
  });

  const hasTerraform = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;
  it(
    'connect takes the issuer from the Terraform outputs (no --base-url)',
    { skip: !hasTerraform && 'terraform is not installed' },
    async () => {
      const tiny = path.join(work, 'tiny.out');
      const stackDir = path.join(tiny, 'stacks', 'tiny');
      mkdirSync(stackDir, { recursive: true });
      writeFileSync(
        path.join(stackDir, 'main.tf.json'),
        JSON.stringify({ output: { 'tiny-issuer': { value: 'https://tiny.example.com' } } }),
      );
      for (const args of [
        ['init', '-input=false'],
        ['apply', '-auto-approve', '-input=false'],
      ]) {
        assert.equal(spawnSync('terraform', [...args, '-no-color'], { cwd: stackDir }).status, 0);
      }
      const manifest = JSON.parse(readFileSync(path.join(outdir, 'stacks', 'incident-api', 'oauth-registry.Registry.json'), 'utf8'));
      writeFileSync(path.join(stackDir, 'oauth-registry.Registry.json'), JSON.stringify({ ...manifest, namePrefix: 'tiny' }));
      const run = await runCli(['connect', 'Salesforce', '--subject', 'alice', '--region', 'eu-west-1', '--no-synth', '--outdir', tiny], {
        env: noAwsEnv(),
      });
      assert.equal(run.code, 1);
      assert.doesNotMatch(run.stderr, /--base-url|OAUTH_REGISTRY_URL/);
      assert.match(run.stderr, /no usable AWS credentials/); // it went on to read the link key: the URL was known
    },
  );

  it('a mistake in the app prints its message without stack frames; --verbose shows them', async () => {
    const dir = testAppDir();
    const app = path.relative(repoRoot, path.join(dir, 'dup.ts'));
    writeFileSync(
      path.join(dir, 'dup.ts'),
      "import { App, TerraformStack } from 'cdktf';\nimport { OAuthRegistry } from '../../../lib';\n" +
        "const app = new App();\nconst r = new OAuthRegistry(new TerraformStack(app, 'dup'), 'Registry', { namePrefix: 'dup' });\n" +
        "r.addExternalClient('Acme', { scopes: ['a'] });\nr.addExternalClient('Acme', { scopes: ['b'] });\napp.synth();\n",
    );
    const plain = await runCli(['dev', '--app', app, '--outdir', path.join(work, 'dup.out')]);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /^oauth-registry: synth of .*dup\.ts failed: Error: duplicate external client name "Acme"/m);
    assert.doesNotMatch(plain.stderr, /^\s+at /m);
    assert.doesNotMatch(plain.stderr, /There is already a Construct/);
    const verbose = await runCli(['dev', '--app', app, '--outdir', path.join(work, 'dup.out'), '--verbose']);
    assert.match(verbose.stderr, /^\s+at new ExternalClient/m);
  });

  it('synth prints a one-screen summary: stacks, resources, clients, routes, connections', async () => {
    const { stdout, code, stderr } = await runCli(['synth', '--outdir', outdir]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^synthesized main\.ts into .*cdktf\.out\/ in \d+\.\d s\n/);
    assert.match(stdout, /\n {2}stack incident-api \(eu-west-1\): \d+ resources, \d+ outputs\n/);
    assert.match(stdout, /\n {6}clients {6}2: AcmeMonitoring \(client_secret_basic\), ReportingJob \(client_secret_post\)\n/);
    assert.match(stdout, /\n {6}routes {7}1: GET \/v1\/hello \[incidents\.read\]\n/);
    assert.match(stdout, /\n {6}connections {2}1: Salesforce \(authorization_code, perUser\)\n/);
    assert.ok(stdout.split('\n').length < 25);
  });
});
