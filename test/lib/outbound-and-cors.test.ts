/**
 * Synth of what the registry fetches and who may call it from a browser: URLs on loopback, private or link-local
 * hosts are refused for a deployed stack unless opted in next to the URL (local mode's synth allows them), and
 * `corsAllowedOrigins` configures the HTTP API's CORS, with validated origins.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Testing } from 'cdktf';
import { CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS } from '../../lambdas/shared/cors';
import { LOCAL_MODE_CONTEXT } from '../../lambdas/shared/manifest';
import { ENV } from '../../lambdas/shared/names';
import { ClientAuth, GrantType, Provider, UserAuthentication } from '../../lib';
import { fixture, resource, synthJson } from './helpers';

const PRIVATE =
  /is on a (loopback host|loopback, private or link-local address), which a deployed registry does not fetch from; .*allowPrivateNetwork: true/;
const localApp = () => Testing.app({ context: { [LOCAL_MODE_CONTEXT]: true } });

describe('URLs the registry fetches (synth)', () => {
  const keyed = (jwksUri: string, allowPrivateNetwork?: boolean, app = Testing.app()) =>
    fixture({}, app).registry.addExternalClient('Partner', {
      authMethod: ClientAuth.privateKeyJwt({ jwksUri, ...(allowPrivateNetwork ? { allowPrivateNetwork } : {}) }),
      scopes: ['a'],
    });

  it("refuses a client's jwksUri on the metadata address, a private or a loopback host", () => {
    for (const uri of [
      'https://169.254.169.254/jwks',
      'https://10.1.2.3/jwks',
      'https://[::1]/jwks',
      'https://localhost/jwks',
      'https://127.0.0.1:9/j',
    ]) {
      assert.throws(() => keyed(uri), new RegExp(`external client "Partner": ClientAuth.privateKeyJwt jwksUri ${PRIVATE.source}`), uri);
    }
    assert.equal(keyed('https://partner.example/jwks').registration.jwksUriAllowPrivateNetwork, undefined);
  });

  it('accepts it opted in (carried in the manifest for the runtime), or when local mode synthesizes', () => {
    assert.equal(keyed('https://10.1.2.3/jwks', true).registration.jwksUriAllowPrivateNetwork, true);
    assert.equal(keyed('https://127.0.0.1:9/jwks', undefined, localApp()).registration.jwksUriAllowPrivateNetwork, undefined);
  });

  it("refuses a JWT-bearer issuer's jwksUri the same way", () => {
    const bearer = (allowPrivateNetwork?: boolean) =>
      fixture().registry.addExternalClient('Bearer', {
        grantTypes: [GrantType.JWT_BEARER],
        jwtBearer: {
          issuer: 'https://idp.example',
          jwksUri: 'https://192.168.1.10/keys',
          ...(allowPrivateNetwork ? { allowPrivateNetwork } : {}),
        },
        scopes: ['a'],
      });
    assert.throws(() => bearer(), new RegExp(`jwtBearer.jwksUri ${PRIVATE.source}`));
    assert.equal(bearer(true).registration.jwtBearer?.allowPrivateNetwork, true);
  });

  it('refuses a loopback userAuthentication issuer, unless opted in (then the function gets the flag)', () => {
    const registry = (allowPrivateNetwork?: boolean, app = Testing.app()) =>
      fixture(
        { userAuthentication: UserAuthentication.oidc({ issuer: 'http://127.0.0.1:9000', clientId: 'r', allowPrivateNetwork }) },
        app,
      );
    assert.throws(() => registry(), new RegExp(`userAuthentication issuer ${PRIVATE.source}`));
    const { stack, registry: optedIn } = registry(true);
    assert.equal(optedIn.manifest().userAuthentication?.allowPrivateNetwork, true);
    const env = resource(synthJson(stack), 'aws_lambda_function', 'AuthorizationServer').environment.variables;
    assert.equal(env[ENV.USER_AUTH_ALLOW_PRIVATE_NETWORK], 'true');
    const local = registry(false, localApp());
    assert.equal(local.registry.manifest().userAuthentication?.allowPrivateNetwork, undefined);
    const localEnv = resource(synthJson(local.stack), 'aws_lambda_function', 'AuthorizationServer').environment.variables;
    assert.equal(localEnv[ENV.USER_AUTH_ALLOW_PRIVATE_NETWORK], undefined);
  });

  it("refuses a connection's provider URLs on private hosts, unless the provider is opted in", () => {
    const connect = (provider: Provider) => fixture().registry.addConnection('Crm', { provider });
    assert.throws(
      () => connect(Provider.discover('http://localhost:8080')),
      new RegExp(`connection "Crm": provider issuer ${PRIVATE.source}`),
    );
    assert.throws(
      () => connect(Provider.endpoints({ tokenEndpoint: 'https://172.16.0.1/token' })),
      new RegExp(`connection "Crm": provider tokenEndpoint ${PRIVATE.source}`),
    );
    const optedIn = connect(Provider.discover('https://10.0.0.8', { allowPrivateNetwork: true }));
    assert.deepEqual(optedIn.registration.provider, { issuer: 'https://10.0.0.8', allowPrivateNetwork: true });
    assert.ok(connect(Provider.discover('https://login.salesforce.com')));
  });
});

describe('corsAllowedOrigins (synth)', () => {
  it('configures the API-wide CORS of the HTTP API, and the manifest for local mode', () => {
    const origins = ['https://app.example.com', 'http://localhost:5173'];
    const { stack, registry } = fixture({ corsAllowedOrigins: origins });
    const api = resource(synthJson(stack), 'aws_apigatewayv2_api', 'Api');
    assert.deepEqual(api.cors_configuration, {
      allow_origins: origins,
      allow_methods: [...CORS_ALLOW_METHODS],
      allow_headers: [...CORS_ALLOW_HEADERS],
      expose_headers: ['www-authenticate', 'retry-after'],
      max_age: 600,
      allow_credentials: false,
    });
    assert.deepEqual(registry.manifest().corsAllowedOrigins, origins);
  });

  it('has no CORS configuration by default', () => {
    const { stack, registry } = fixture();
    assert.equal(resource(synthJson(stack), 'aws_apigatewayv2_api', 'Api').cors_configuration, undefined);
    assert.equal(registry.manifest().corsAllowedOrigins, undefined);
  });

  it('refuses what is not exactly one origin', () => {
    for (const [origin, why] of [
      ['*', /no wildcard/],
      ['https://*.example.com', /no wildcard/],
      ['https://app.example.com/', /an origin only, exactly as a browser sends it \(https:\/\/app.example.com\)/],
      ['https://App.example.com', /an origin only/],
      ['https://app.example.com:443', /an origin only/],
      ['http://app.example.com', /must be https \(or http on a loopback host\)/],
      ['app.example.com', /not an origin/],
    ] as const) {
      assert.throws(
        () => fixture({ corsAllowedOrigins: [origin] }),
        new RegExp(`corsAllowedOrigins: .*${why.source}.*got "${origin.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`),
        origin,
      );
    }
  });
});
