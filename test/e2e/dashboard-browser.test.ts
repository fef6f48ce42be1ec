/**
 * The local dashboard in a real browser: headless Chromium (Debian's `chromium`, driven by playwright-core, which
 * never downloads a browser) loads `/` from `oauth-registry dev`, the rendered page shows the clients, routes and
 * connections, and the Connect button goes through the third party's (oidc-provider) sign-in and consent and back,
 * after which the connection shows connected. A screenshot is saved in the test's temp folder (with
 * UPDATE_SCREENSHOT=1, also as docs/dashboard.png).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { SECRET_BASIC, startThirdParty, type ThirdParty } from '../../testing/connections/third-party';
import { startDev, testAppDir } from '../../testing/dev-server';
import { freePort, repoRoot } from '../../testing/example-app';

// `.ci/run` installs Debian's chromium; in CI a missing browser fails the suite instead of skipping it.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = `no ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium), or set CHROMIUM_PATH`;
if (process.env.CI && !existsSync(CHROMIUM)) throw new Error(missing);
const skip = existsSync(CHROMIUM) ? false : missing;

const APP = `
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { ClientAuth, ConnectionMode, OAuthRegistry, Provider } from '../../../lib';

const app = new App();
const stack = new TerraformStack(app, 'dashboard-demo');
new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
const registry = new OAuthRegistry(stack, 'Registry', { namePrefix: 'dashboard-demo' });
registry.addExternalClient('AcmeMonitoring', { description: 'Acme pushes alerts <as incidents>', scopes: ['incidents.read', 'incidents.write'] });
registry.addExternalClient('ReportingJob', { authMethod: ClientAuth.CLIENT_SECRET_POST, scopes: ['reports.read'], active: false });
registry.addRoute('GET /v1/hello', { handler: { entry: '${path.join(repoRoot, 'lambdas', 'examples', 'hello.ts')}' }, scopes: ['incidents.read'] });
registry.addConnection('Crm', { provider: Provider.discover(process.env.THIRD_PARTY_ISSUER!), scopes: ['openid', 'api'] });
registry.addConnection('Mail', { provider: Provider.discover(process.env.THIRD_PARTY_ISSUER!), mode: ConnectionMode.PER_USER });
app.synth();
`;

describe('the local dashboard in headless Chromium', { skip }, () => {
  const work = mkdtempSync(path.join(tmpdir(), 'oauth-registry-dashboard-'));
  const common = ['--outdir', path.join(work, 'cdktf.out'), '--state-dir', path.join(work, 'state')];
  let provider: ThirdParty;
  let dev: Awaited<ReturnType<typeof startDev>>;
  let browser: BrowserContext;

  before(async () => {
    const port = await freePort();
    provider = await startThirdParty({ redirectUris: [`http://127.0.0.1:${port}/connections/Crm/callback`] });
    const appFile = path.join(testAppDir(), 'dashboard.ts');
    writeFileSync(appFile, APP);
    const app = path.relative(repoRoot, appFile);
    dev = await startDev(['--app', app, ...common, '--port', String(port)], { ...process.env, THIRD_PARTY_ISSUER: provider.issuer });
    // The credentials the provider issued us, through the CLI as an operator gives them.
    const { spawnSync } = await import('node:child_process');
    const set = spawnSync(
      process.execPath,
      [
        path.join(repoRoot, 'bin', 'oauth-registry.js'),
        'connections',
        'set-credentials',
        'Crm',
        '--local',
        '--app',
        app,
        '--no-synth',
        ...common,
      ],
      { cwd: repoRoot, input: JSON.stringify({ client_id: 'basic-client', client_secret: SECRET_BASIC }), encoding: 'utf8' },
    );
    assert.equal(set.status, 0, set.stderr);
    // A fresh profile (--user-data-dir) for each run: playwright passes it as the persistent context's folder.
    browser = await chromium.launchPersistentContext(mkdtempSync(path.join(work, 'chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await dev?.stop();
    await provider?.close();
  });

  it('renders clients, routes and connections with health colours, escaped, and nothing secret', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${dev.issuer}/`);
    assert.equal(response?.status(), 200);
    assert.equal(await page.title(), 'oauth-registry · dashboard-demo');
    assert.equal(await page.locator('h1').textContent(), 'oauth-registry · dashboard-demo');
    const clients = page.locator('table').nth(0);
    assert.match((await clients.textContent()) ?? '', /AcmeMonitoring/);
    assert.match((await page.locator('tr', { hasText: 'ReportingJob' }).textContent()) ?? '', /inactive/);
    // A description with markup is text, not HTML.
    assert.equal(await page.getByText('Acme pushes alerts <as incidents>').count(), 1);
    assert.match((await page.locator('tr', { hasText: 'GET /v1/hello' }).textContent()) ?? '', /incidents\.read/);
    const crm = page.locator('.conn', { hasText: 'Crm' }).first();
    assert.match((await crm.textContent()) ?? '', /credentials set/);
    const health = crm.locator('.badge', { hasText: 'not_connected' });
    assert.equal(await health.count(), 1);
    assert.equal(await health.evaluate((el) => (globalThis as any).getComputedStyle(el).backgroundColor), 'rgb(110, 119, 129)');
    assert.match((await page.locator('.conn', { hasText: 'Mail' }).textContent()) ?? '', /credentials missing/);
    const html = await page.content();
    assert.ok(!html.includes(SECRET_BASIC), 'no connection secret');
    assert.doesNotMatch(html, /client_secret\s*[:=]/);
    const shot = path.join(work, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 10_000);
    if (process.env.UPDATE_SCREENSHOT) copyFileSync(shot, path.join(repoRoot, 'docs', 'dashboard.png'));
    await page.close();
  });

  it("Connect reaches the provider's sign-in and consent, and the dashboard then shows the connection connected", async () => {
    const page = await browser.newPage();
    await page.goto(`${dev.issuer}/`);
    await page.getByRole('button', { name: 'Connect Crm' }).click();
    await page.waitForURL((url) => url.href.startsWith(provider.issuer));
    // oidc-provider's dev interactions: its sign-in page, then its consent page.
    await page.locator('input[name="login"]').fill('alice');
    await page.locator('input[name="password"]').fill('x');
    await page.locator('button[type="submit"]').click();
    await page.waitForSelector('button[type="submit"]');
    assert.match(await page.content(), /Authorize|consent|Continue/i);
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.href.startsWith(`${dev.issuer}/connections/Crm/callback`));
    assert.match((await page.textContent('body')) ?? '', /Connected to Crm/);
    await page.goto(`${dev.issuer}/`);
    const crm = page.locator('.conn', { hasText: 'Crm' }).first();
    const connected = crm.locator('.badge', { hasText: 'connected' });
    assert.equal(await connected.evaluate((el) => (globalThis as any).getComputedStyle(el).backgroundColor), 'rgb(26, 127, 55)');
    await page.screenshot({ path: path.join(work, 'dashboard-connected.png'), fullPage: true });
    await page.close();
  });

  it('a per-user connection asks for the subject in the form (required), and the server checks it too', async () => {
    const page = await browser.newPage();
    await page.goto(`${dev.issuer}/`);
    const subject = page.getByLabel('subject of Mail');
    assert.equal(await subject.getAttribute('required'), '');
    await subject.fill('has space');
    await page.getByRole('button', { name: 'Connect Mail' }).click();
    await page.waitForLoadState();
    assert.match((await page.locator('.notice').textContent()) ?? '', /Connect Mail: connection Mail is per user: give a subject/);
    await page.close();
  });
});
