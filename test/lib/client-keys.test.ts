/**
 * Constructs for clients without a shared secret: `ClientAuth.privateKeyJwt`, `ClientAuth.NONE`, and the JWT bearer
 * grant's trusted issuer. No secret or rotation is created for them; their keys are validated at synth.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JWT_BEARER_GRANT_TYPE } from '../../lambdas/shared/manifest';
import { ENV } from '../../lambdas/shared/names';
import { ClientAuth, GrantType } from '../../lib';
import { fixture, resource, resources, synthJson } from './helpers';

const RSA_PUBLIC = {
  kty: 'RSA',
  kid: 'partner-2025',
  alg: 'RS256',
  use: 'sig',
  n: 'sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw',
  e: 'AQAB',
};
const EC_PUBLIC = {
  kty: 'EC',
  kid: 'ec-1',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
};

describe('clients without a shared secret', () => {
  it('creates no secret and no rotation for private_key_jwt and public clients, and registers their keys', () => {
    const { stack, registry } = fixture({ namePrefix: 'acme-auth' });
    registry.addExternalClient('Shared', { scopes: ['a'] });
    const keyed = registry.addExternalClient('Keyed', {
      clientId: 'keyed-1',
      authMethod: ClientAuth.privateKeyJwt({ jwks: { keys: [RSA_PUBLIC] } }),
      scopes: ['a'],
    });
    registry.addExternalClient('Remote', {
      clientId: 'remote-1',
      authMethod: ClientAuth.privateKeyJwt({ jwksUri: 'https://partner.example/.well-known/jwks.json' }),
      grantTypes: [GrantType.CLIENT_CREDENTIALS, GrantType.JWT_BEARER],
      jwtBearer: { issuer: 'https://login.partner.example', jwks: { keys: [EC_PUBLIC] } },
      scopes: ['a'],
    });
    const tf = synthJson(stack);
    assert.deepEqual(
      Object.keys(resources(tf, 'aws_secretsmanager_secret'))
        .filter((id) => id.includes('_Secret_'))
        .map((id) => id.split('_')[1]),
      ['Shared'],
    );
    assert.deepEqual(
      Object.keys(resources(tf, 'aws_secretsmanager_secret_rotation'))
        .filter((id) => id.includes('SecretRotation'))
        .map((id) => id.split('_')[1]),
      ['Shared'],
    );
    assert.equal(keyed.secret, undefined);
    assert.equal(keyed.secretArn, undefined);

    assert.deepEqual(JSON.parse(JSON.parse(resource(tf, 'aws_dynamodb_table_item', 'Keyed').item).data.S), {
      name: 'Keyed',
      clientId: 'keyed-1',
      grantTypes: ['client_credentials'],
      authMethod: 'private_key_jwt',
      scopes: ['a'],
      accessTokenTtlSecs: 900,
      active: true,
      jwks: { keys: [RSA_PUBLIC] },
    });
    const remote = registry.manifest().clients.find((c) => c.name === 'Remote')!;
    assert.equal(remote.secretId, undefined);
    assert.equal(remote.jwksUri, 'https://partner.example/.well-known/jwks.json');
    assert.deepEqual(remote.grantTypes, ['client_credentials', JWT_BEARER_GRANT_TYPE]);
    assert.deepEqual(remote.jwtBearer, { issuer: 'https://login.partner.example', jwks: { keys: [EC_PUBLIC] } });

    const env = resource(tf, 'aws_lambda_function', 'Registry_AuthorizationServer_').environment.variables;
    assert.equal(env[ENV.AUTH_METHODS_SUPPORTED], 'client_secret_basic private_key_jwt');
  });

  it('lists in discovery only the methods its clients use', () => {
    const { stack, registry } = fixture();
    registry.addExternalClient('Post', { authMethod: ClientAuth.CLIENT_SECRET_POST, scopes: ['a'] });
    const env = resource(synthJson(stack), 'aws_lambda_function', 'Registry_AuthorizationServer_').environment.variables;
    assert.equal(env[ENV.AUTH_METHODS_SUPPORTED], 'client_secret_post');
  });

  it('fails on a private member in a JWKS, naming the kid', () => {
    const { registry } = fixture();
    const leaked = { ...RSA_PUBLIC, kid: 'oops-private', d: 'x', p: 'y' };
    assert.throws(
      () => registry.addExternalClient('A', { authMethod: ClientAuth.privateKeyJwt({ jwks: { keys: [leaked] } }), scopes: ['a'] }),
      /external client "A": ClientAuth.privateKeyJwt: jwks key "oops-private" holds private key material \(d, p\); register the public key only/,
    );
    assert.throws(
      () =>
        registry.addExternalClient('B', {
          grantTypes: [GrantType.JWT_BEARER],
          jwtBearer: { issuer: 'https://idp.example', jwks: { keys: [{ kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' }] } },
          scopes: ['a'],
        }),
      /external client "B": jwtBearer: jwks key "hmac" holds private key material \(k\)/,
    );
  });

  it('fails on keys it cannot use, showing the value', () => {
    const { registry } = fixture();
    const keyed = (id: string, keys: any) => () =>
      registry.addExternalClient(id, { authMethod: ClientAuth.privateKeyJwt(keys), scopes: ['a'] });
    assert.throws(
      keyed('A', { jwksUri: 'http://partner.example/jwks.json' }),
      /jwksUri must be an https URL without credentials, got "http:\/\/partner.example\/jwks.json"/,
    );
    assert.throws(keyed('B', { jwks: { keys: [] } }), /jwks must be a JWK Set with at least one key/);
    assert.throws(
      keyed('C', { jwks: { keys: [{ ...RSA_PUBLIC, alg: 'HS256' }] } }),
      /jwks key "partner-2025" has alg "HS256"; use one of RS256, PS256, ES256, EdDSA/,
    );
    assert.throws(
      keyed('D', { jwks: { keys: [{ kid: 'k', kty: 'XYZ' }] } }),
      /jwks key "k" must be a public RSA, EC, OKP key, got kty "XYZ"/,
    );
    assert.throws(
      () => ClientAuth.privateKeyJwt({ jwks: { keys: [RSA_PUBLIC] }, jwksUri: 'https://x.example' } as any),
      /exactly one of \{ jwks \} or \{ jwksUri \}/,
    );
    assert.throws(
      () =>
        registry.addExternalClient('E', {
          authMethod: ClientAuth.privateKeyJwt({ jwks: { keys: [RSA_PUBLIC] } }),
          secretRotationDays: 30,
          scopes: ['a'],
        }),
      /secretRotationDays applies to shared secrets; a private_key_jwt client has none, got 30/,
    );
  });

  it('fails when a public client uses client_credentials', () => {
    const { registry } = fixture();
    assert.throws(
      () => registry.addExternalClient('App', { authMethod: ClientAuth.NONE, scopes: ['a'] }),
      /external client "App": a public client \(ClientAuth.NONE\) cannot use client_credentials; it may use authorization_code, refresh_token/,
    );
    assert.throws(
      () =>
        registry.addExternalClient('App2', {
          authMethod: ClientAuth.NONE,
          grantTypes: [GrantType.JWT_BEARER],
          jwtBearer: { issuer: 'https://i.example', jwks: { keys: [EC_PUBLIC] } },
          scopes: ['a'],
        }),
      /a public client \(ClientAuth.NONE\) cannot use urn:ietf:params:oauth:grant-type:jwt-bearer/,
    );
  });

  it('fails when GrantType.JWT_BEARER and jwtBearer do not come together', () => {
    const { registry } = fixture();
    assert.throws(
      () => registry.addExternalClient('A', { grantTypes: [GrantType.JWT_BEARER], scopes: ['a'] }),
      /external client "A": GrantType.JWT_BEARER needs the jwtBearer option/,
    );
    assert.throws(
      () => registry.addExternalClient('B', { jwtBearer: { issuer: 'https://i.example', jwks: { keys: [EC_PUBLIC] } }, scopes: ['a'] }),
      /external client "B": jwtBearer is set but grantTypes does not include GrantType.JWT_BEARER/,
    );
    assert.throws(
      () =>
        registry.addExternalClient('C', {
          grantTypes: [GrantType.JWT_BEARER],
          jwtBearer: { issuer: '', jwks: { keys: [EC_PUBLIC] } },
          scopes: ['a'],
        }),
      /jwtBearer.issuer must be a non-empty literal string, got ""/,
    );
    assert.throws(
      () =>
        registry.addExternalClient('D', {
          grantTypes: [GrantType.JWT_BEARER],
          jwtBearer: { issuer: 'https://i.example' } as any,
          scopes: ['a'],
        }),
      /external client "D": jwtBearer: give exactly one of jwks or jwksUri, got neither/,
    );
  });
});
