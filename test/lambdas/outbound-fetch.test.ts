/**
 * What the authorization server fetches from places it does not control goes through the bounded fetch: a client's
 * (or a JWT-bearer issuer's) JWKS and the upstream OpenID provider's documents. A huge key set is cut off at the size
 * cap, and a loopback, private or link-local host is refused unless the registration opted it in (or local mode runs).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CLIENT_ASSERTION_TYPE } from '../../lambdas/authorization-server/client-assertion';
import { createUpstreamLogin } from '../../lambdas/authorization-server/upstream';
import { MemorySecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import { DOCUMENT_LIMITS } from '../../lambdas/shared/bounded-fetch';
import { authorizationServerFromEnv } from '../../lambdas/shared/config';
import { JWT_BEARER_GRANT_TYPE, type ClientRegistration } from '../../lambdas/shared/manifest';
import { ENV } from '../../lambdas/shared/names';
import { jsonBody, structured, tokenEvent } from '../../testing/events';
import { signAssertion, testKey, type TestKey } from '../helpers/assertions';
import { CLIENTS, ISSUER, createHarness } from './fixtures';

const TOKEN_ENDPOINT = `${ISSUER}/oauth2/token`;

const keyClient = (name: string, jwksUri: string, overrides: Partial<ClientRegistration> = {}): ClientRegistration => ({
  name,
  clientId: `${name.toLowerCase()}-client`,
  grantTypes: ['client_credentials'],
  authMethod: 'private_key_jwt',
  scopes: ['incidents.read'],
  accessTokenTtlSecs: 600,
  active: true,
  jwksUri,
  ...overrides,
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe('bounded fetches of the authorization server', () => {
  let key: TestKey;
  let jwks: Server;
  let jwksUrl: string;
  const fetched = { small: 0, huge: 0, hugeBytesWritten: 0 };

  before(async () => {
    key = await testKey('ES256', 'partner-key');
    // `/small`: the key set. `/huge`: the same key first, then 40 MiB of further keys (a valid JWK Set, streamed).
    ({ server: jwks, url: jwksUrl } = await listen((req, res) => {
      if (req.url === '/small') {
        fetched.small += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.publicJwk] }));
        return;
      }
      fetched.huge += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      const filler = `,${JSON.stringify({ ...key.publicJwk, kid: 'x'.repeat(900) })}`;
      let remaining = 40 * 1024 * 1024;
      const pump = () => {
        if (res.destroyed) return;
        res.write(`{"keys":[${JSON.stringify(key.publicJwk)}`);
        const chunk = filler.repeat(64);
        const next = (): void => {
          while (remaining > 0 && !res.destroyed) {
            remaining -= chunk.length;
            fetched.hugeBytesWritten += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', next);
          }
          if (!res.destroyed) res.end(']}');
        };
        next();
      };
      pump();
    }));
  });
  after(() => close(jwks));

  async function clientCredentials(client: ClientRegistration, options: { allowPrivateNetwork?: boolean } = {}) {
    const h = await createHarness({
      registrations: new ManifestRegistrationStore({ clients: [...Object.values(CLIENTS), client] }),
      allowPrivateNetwork: options.allowPrivateNetwork ?? false,
    });
    const assertion = await signAssertion(key, {
      iss: client.clientId,
      sub: client.clientId,
      aud: TOKEN_ENDPOINT,
      nowSecs: Math.floor(h.clock.now() / 1000),
    });
    const result = await h.server.handle(
      tokenEvent({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion }),
    );
    const keyLog = h.logs.find((l) => l.msg === 'assertion_keys_unavailable');
    return { status: structured(result).statusCode, body: jsonBody(result), keyLog };
  }

  it('a 40 MiB key set is cut off at the size cap: the client is refused, and the rest is never read', async () => {
    const result = await clientCredentials(keyClient('Huge', `${jwksUrl}/huge`), { allowPrivateNetwork: true });
    assert.equal(result.status, 401);
    assert.equal(result.body.error, 'invalid_client');
    assert.match(String(result.keyLog?.error), new RegExp(`answered more than ${DOCUMENT_LIMITS.maxBytes} bytes`));
    assert.equal(fetched.huge, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(fetched.hugeBytesWritten < 8 * 1024 * 1024, `the server wrote ${fetched.hugeBytesWritten} bytes before the cut`);
  });

  it('a jwksUri on a loopback host is not fetched by a deployed server, unless the registration opts it in', async () => {
    const before = fetched.small;
    const refused = await clientCredentials(keyClient('Loopback', `${jwksUrl}/small`));
    assert.equal(refused.status, 401);
    assert.match(String(refused.keyLog?.error), /loopback, private or link-local/);
    assert.equal(fetched.small, before, 'no request reached the key server');

    const optedIn = await clientCredentials(keyClient('OptedIn', `${jwksUrl}/small`, { jwksUriAllowPrivateNetwork: true }));
    assert.equal(optedIn.status, 200, JSON.stringify(optedIn.body));
    assert.equal(fetched.small, before + 1);
  });

  it('the instance metadata address (link-local) is refused before any connection', async () => {
    const result = await clientCredentials(keyClient('Metadata', 'http://169.254.169.254/latest/meta-data/jwks'));
    assert.equal(result.status, 401);
    assert.match(String(result.keyLog?.error), /refusing to fetch http:\/\/169\.254\.169\.254/);
  });

  it("a JWT-bearer issuer's jwksUri follows the same rule, with its own opt-in", async () => {
    const issuer = 'https://idp.partner.example';
    const bearer = (name: string, allowPrivateNetwork?: boolean): ClientRegistration => ({
      ...keyClient(name, '', { grantTypes: [JWT_BEARER_GRANT_TYPE] }),
      jwksUri: undefined,
      jwks: { keys: [key.publicJwk] },
      jwtBearer: { issuer, jwksUri: `${jwksUrl}/small`, ...(allowPrivateNetwork ? { allowPrivateNetwork } : {}) },
    });
    for (const [client, expected] of [
      [bearer('Refused'), 400],
      [bearer('Allowed', true), 200],
    ] as const) {
      const h = await createHarness({ registrations: new ManifestRegistrationStore({ clients: [client] }), allowPrivateNetwork: false });
      const nowSecs = Math.floor(h.clock.now() / 1000);
      const result = await h.server.handle(
        tokenEvent({
          grant_type: JWT_BEARER_GRANT_TYPE,
          assertion: await signAssertion(key, { iss: issuer, sub: 'alice', aud: TOKEN_ENDPOINT, nowSecs }),
          client_assertion_type: CLIENT_ASSERTION_TYPE,
          client_assertion: await signAssertion(key, { iss: client.clientId, sub: client.clientId, aud: TOKEN_ENDPOINT, nowSecs }),
        }),
      );
      assert.equal(structured(result).statusCode, expected, `${client.name}: ${structured(result).body}`);
    }
  });
});

describe("the upstream provider's documents", () => {
  let upstream: Server;
  let issuer: string;
  let discoveryHits = 0;

  before(async () => {
    ({ server: upstream, url: issuer } = await listen((req, res) => {
      discoveryHits += 1;
      const document = { issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token` };
      const padding = req.url?.includes('huge') ? { padding: 'x'.repeat(DOCUMENT_LIMITS.maxBytes) } : {};
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...document, ...padding }));
    }));
  });
  after(() => close(upstream));

  const login = (registration: { issuer: string; allowPrivateNetwork?: boolean }, allowPrivateNetwork = false) =>
    createUpstreamLogin({
      registration: { clientId: 'registry', scopes: ['openid'], secretId: 'upstream', ...registration },
      redirectUri: `${ISSUER}/oauth2/callback`,
      secrets: new MemorySecretStore(),
      clock: Date.now,
      ttlMs: 60_000,
      allowPrivateNetwork,
    });
  const challenge = { state: 's', nonce: 'n', codeVerifier: 'v'.repeat(43) };

  it('a loopback issuer is refused without the opt-in, and discovered with it (or in local mode)', async () => {
    await assert.rejects(login({ issuer }).authorizationUrl(challenge), { name: 'PrivateAddressError' });
    assert.equal(discoveryHits, 0);
    assert.match(await login({ issuer, allowPrivateNetwork: true }).authorizationUrl(challenge), /^http:\/\/127\.0\.0\.1:\d+\/authorize\?/);
    assert.match(await login({ issuer }, true).authorizationUrl(challenge), /\/authorize\?/);
  });

  it('a discovery document over the size cap is refused', async () => {
    await assert.rejects(login({ issuer: `${issuer}/huge`, allowPrivateNetwork: true }).authorizationUrl(challenge), {
      name: 'ResponseTooLargeError',
    });
  });

  it("the deployed function reads the issuer's opt-in from its environment", () => {
    const env = {
      [ENV.ISSUER]: ISSUER,
      [ENV.TABLE_NAME]: 't',
      [ENV.SIGNING_KEY_SECRET_ID]: 'k',
      [ENV.USER_AUTH_ISSUER]: 'https://10.0.0.7',
      [ENV.USER_AUTH_CLIENT_ID]: 'c',
      [ENV.USER_AUTH_SECRET_ID]: 's',
    };
    assert.equal(authorizationServerFromEnv(env).userAuthentication?.allowPrivateNetwork, undefined);
    assert.equal(authorizationServerFromEnv(env).allowPrivateNetwork, undefined);
    assert.equal(
      authorizationServerFromEnv({ ...env, [ENV.USER_AUTH_ALLOW_PRIVATE_NETWORK]: 'true' }).userAuthentication?.allowPrivateNetwork,
      true,
    );
  });
});
