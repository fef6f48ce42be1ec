/**
 * Mistakes that used to synthesize (and then fail every call) or fail in constructs' generic words: each fails synth
 * with the value in the message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { AnnotationMetadataEntryType } from 'cdktf';
import { SERVER_ROUTES } from '../../lambdas/shared/routes';
import { Provider, UserAuthentication, type OAuthRegistry } from '../../lib';
import { fixture, synthJson } from './helpers';

const hello = { entry: 'lambdas/examples/hello.ts' };

describe('synth-time checks', () => {
  it('a duplicate external client name gets the README message, not "There is already a Construct"', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['a'] });
    assert.throws(
      () => f.registry.addExternalClient('Acme', { scopes: ['b'] }),
      /^Error: duplicate external client name "Acme" \(Test\/Registry\/Acme/,
    );
  });

  it('a duplicate route gets its own message naming the route key', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['a'] });
    f.registry.addRoute('GET /v1/a', { handler: hello, scopes: ['a'] });
    assert.throws(() => f.registry.addRoute('GET /v1/a', { handler: hello, scopes: ['a'] }), /^Error: duplicate route "GET \/v1\/a"/);
  });

  it('two different route keys that would share a construct id are named as such, not as a duplicate', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['a'] });
    f.registry.addRoute('GET /v1/items/{id}', { handler: hello, scopes: ['a'] });
    assert.throws(
      () => f.registry.addRoute('GET /v1/items/id', { handler: hello, scopes: ['a'] }),
      /^Error: routes "GET \/v1\/items\/\{id\}" and "GET \/v1\/items\/id" would both be construct .*GetV1ItemsId; rename one path/,
    );
  });

  it('an exportName the entry does not export fails synth, naming what it exports', () => {
    const f = fixture();
    assert.throws(
      () => f.registry.addRoute('GET /v1/a', { handler: { ...hello, exportName: 'hanlder' }, scopes: ['a'] }),
      /route "GET \/v1\/a": handler.entry "lambdas\/examples\/hello.ts" exports no "hanlder" \(it exports: handler\)/,
    );
  });

  it('follows `export * from` and accepts what a re-export provides; a CommonJS entry is left to bundling', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-entry-'));
    writeFileSync(path.join(dir, 'impl.ts'), 'export const list = async () => ({ statusCode: 200 });\n');
    writeFileSync(path.join(dir, 'index.ts'), "export * from './impl';\n");
    writeFileSync(path.join(dir, 'legacy.js'), 'exports.anything = async () => ({ statusCode: 200 });\n');
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['a'] });
    f.registry.addRoute('GET /v1/a', { handler: { entry: path.join(dir, 'index.ts'), exportName: 'list' }, scopes: ['a'] });
    f.registry.addRoute('GET /v1/b', { handler: { entry: path.join(dir, 'legacy.js'), exportName: 'anything' }, scopes: ['a'] });
    assert.throws(
      () => f.registry.addRoute('GET /v1/c', { handler: { entry: path.join(dir, 'index.ts') }, scopes: ['a'] }),
      /exports no "handler" \(it exports: list\)/,
    );
  });

  it('a route whose scopes no client can obtain fails synth (every call would be a 403), naming both sides', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['incidents.read'] });
    f.registry.addRoute('GET /v1/a', { handler: hello, scopes: ['incidents.write'] });
    assert.throws(
      () => synthJson(f.stack),
      /route "GET \/v1\/a": no external client of the registry can obtain any of its scopes \["incidents.write"\] \(the clients' scopes: incidents.read\)/,
    );
  });

  it('a route whose audiences match no client with its scopes fails synth (every call would be a 401), naming both sides', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['incidents.read'] }); // tokens for the registry's own audience
    f.registry.addExternalClient('Billing', { scopes: ['billing.read'], audience: 'https://billing.example' });
    f.registry.addRoute('GET /v1/a', { handler: hello, scopes: ['incidents.read'], audiences: ['https://billing.example'] });
    assert.throws(
      () => synthJson(f.stack),
      new RegExp(
        'route "GET /v1/a": no external client can call it: it accepts tokens for "https://billing.example", and the clients ' +
          "with its scopes get tokens for the registry's own audience \\(Acme\\)",
      ),
    );
  });

  it('a route is callable when some client has both one of its scopes and an audience it accepts', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['incidents.read'] });
    f.registry.addExternalClient('Billing', { scopes: ['billing.read'], audience: 'https://billing.example' });
    f.registry.addRoute('GET /v1/own', { handler: hello, scopes: ['incidents.read'] });
    f.registry.addRoute('GET /v1/billing', { handler: hello, scopes: ['billing.read'], audiences: ['https://billing.example'] });
    f.registry.addRoute('GET /v1/both', { handler: hello, scopes: ['billing.read'], audiences: ['https://billing.example', 'https://x'] });
    assert.ok(synthJson(f.stack).resource);
  });

  it('a discovery document URL given as an issuer fails synth, naming the issuer to pass', () => {
    assert.throws(
      () => Provider.discover('https://login.example.com/tenant/.well-known/openid-configuration'),
      /^Error: Provider.discover: issuerUrl is the URL of a discovery document, not an issuer: pass the issuer "https:\/\/login.example.com\/tenant"/,
    );
    assert.throws(
      () => Provider.discover('https://as.example.com/.well-known/oauth-authorization-server/tenant'),
      /pass the issuer "https:\/\/as.example.com\/tenant"/,
    );
    assert.throws(
      () => UserAuthentication.oidc({ issuer: 'https://login.example.com/.well-known/openid-configuration', clientId: 'x' }),
      /^Error: userAuthentication issuer is the URL of a discovery document, not an issuer: pass the issuer "https:\/\/login.example.com"/,
    );
    assert.deepEqual(Provider.discover('https://login.example.com/tenant').registration, { issuer: 'https://login.example.com/tenant' });
  });

  it('an inactive client still counts: cutting a partner off deploys', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['a'], active: false });
    f.registry.addRoute('GET /v1/a', { handler: hello, scopes: ['a'] });
    assert.ok(synthJson(f.stack).resource);
  });
});

/** The registry's warnings (cdktf annotations) after synth. */
function warningsOf(registry: OAuthRegistry): string[] {
  return registry.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));
}

describe("API Gateway's quotas for HTTP APIs, at synth", () => {
  const scopes = Array.from({ length: 11 }, (_, i) => `s${i}`);

  it('a route with more than 10 scopes fails synth, naming the route and the quota (not adjustable)', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes });
    f.registry.addRoute('GET /v1/ten', { handler: hello, scopes: scopes.slice(0, 10) });
    assert.ok(synthJson(f.stack).resource, '10 scopes deploy');
    f.registry.addRoute('GET /v1/eleven', { handler: hello, scopes });
    assert.throws(
      () => synthJson(f.stack),
      /route "GET \/v1\/eleven" names 11 scopes; API Gateway allows at most 10 \("Scopes per route" of HTTP APIs, not adjustable\)/,
    );
  });

  it('a route accepting more than 50 audiences fails synth: its authorizer would be over the quota (not adjustable)', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['a'] });
    f.registry.addExternalClient('Api0', { scopes: ['a'], audience: 'https://api0.example' }); // so the routes are callable
    const audiences = (n: number) => Array.from({ length: n }, (_, i) => `https://api${i}.example`);
    f.registry.addRoute('GET /v1/fifty', { handler: hello, scopes: ['a'], audiences: audiences(50) });
    assert.ok(synthJson(f.stack).resource, '50 audiences deploy');
    f.registry.addRoute('GET /v1/more', { handler: hello, scopes: ['a'], audiences: audiences(51) });
    assert.throws(
      () => synthJson(f.stack),
      /JWT authorizer ".*" accepts 51 audiences; API Gateway allows at most 50 \("Audiences per authorizer"/,
    );
  });

  it('more than 10 JWT authorizers warn, naming the adjustable quota; 10 do not', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['a'] });
    // The registry's own authorizer, then one per distinct audience set.
    const addRoute = (i: number) => {
      // A client for each audience, so each route is callable (synth refuses a route no client can call).
      f.registry.addExternalClient(`Api${i}`, { scopes: ['a'], audience: `https://api${i}.example` });
      f.registry.addRoute(`GET /v1/r${i}`, { handler: hello, scopes: ['a'], audiences: [`https://api${i}.example`] });
    };
    for (let i = 1; i < 10; i++) addRoute(i);
    synthJson(f.stack);
    assert.deepEqual(warningsOf(f.registry), []);
    for (let i = 10; i < 12; i++) addRoute(i);
    synthJson(f.stack);
    synthJson(f.stack);
    const warnings = warningsOf(f.registry);
    assert.equal(warnings.length, 1, 'warned once, however many synths');
    assert.match(warnings[0], /would have 12 JWT authorizers .* default quota of 10 \("Authorizers per API" of HTTP APIs, adjustable/);
  });

  it("more than 300 routes on the registry's API warn, naming the adjustable quota; more than 300 integrations fail", () => {
    const f = fixture();
    const serverRoutes = Object.keys(SERVER_ROUTES).length;
    const addRoutes = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        new Apigatewayv2Route(f.stack, `Extra${i}`, { apiId: f.registry.api.id, routeKey: `GET /extra/${i}` });
      }
    };
    addRoutes(0, 300 - serverRoutes);
    synthJson(f.stack);
    assert.deepEqual(warningsOf(f.registry), [], 'exactly 300 routes');
    addRoutes(300 - serverRoutes, 301 - serverRoutes);
    synthJson(f.stack);
    assert.match(warningsOf(f.registry).join('\n'), /would have 301 routes, over API Gateway's default quota of 300 \("Routes per API"/);
    for (let i = 0; i < 300; i++) {
      new Apigatewayv2Integration(f.stack, `ExtraIntegration${i}`, { apiId: f.registry.api.id, integrationType: 'HTTP_PROXY' });
    }
    assert.throws(
      () => synthJson(f.stack),
      /would have 301 integrations .* at most 300 \("Integrations per API" of HTTP APIs, not adjustable\)/,
    );
  });
});
