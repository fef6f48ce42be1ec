/**
 * A third-party provider for the connection tests: panva's oidc-provider on 127.0.0.1 (confidential clients,
 * refresh token rotation, PKCE required, dev interactions, JWT access tokens for one resource) and a small resource
 * server that accepts only its tokens (jose, against the provider's JWKS).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';

export const RESOURCE = 'urn:test:api';
export const SECRET_BASIC = 'basic-client-secret-0123456789abcdef0123456789abcdef';
export const SECRET_POST = 'post-client-secret-0123456789abcdef0123456789abcdef';

export interface ThirdParty {
  readonly issuer: string;
  /** Base URL of the resource server's API (`<origin>/api`). */
  readonly apiBaseUrl: string;
  /** Token requests the provider answered, by grant type (successes and errors). */
  readonly tokenRequests: Record<string, number>;
  /** Headers of the last request the resource server received. */
  lastApiRequest?: { method: string; url: string; headers: IncomingMessage['headers']; body: string };
  /** Our private key for the `private_key_jwt` client. */
  readonly privateJwk: JWK;
  /** Makes the token endpoint hang (never answer), fail with 503, or stream an endless JSON body, until reset. */
  tokenEndpointMode: 'normal' | 'hang' | 'unavailable' | 'oversized';
  /** Makes the discovery documents stream an endless JSON body, until reset. */
  discoveryMode: 'normal' | 'oversized';
  /** Bytes of the oversized bodies the provider got to write before the reader hung up. */
  oversizedBytesSent: number;
  /** Makes the resource server answer accepted requests with a body of this many bytes of this type (not JSON). */
  apiBody?: { bytes: number; contentType: string };
  /** Headers the resource server adds to its accepted answers (a `Connection` one replaces its `close`). */
  apiHeaders?: Record<string, string>;
  /** Makes the resource server answer 401 to the next N requests. */
  rejectNextApiRequests: number;
  readonly provider: { on(event: string, listener: (...args: any[]) => void): void };
  close(): Promise<void>;
}

export interface ThirdPartyOptions {
  /** Redirect URIs the confidential clients may use (our callbacks). */
  readonly redirectUris: readonly string[];
  /** @default 120 */
  readonly accessTokenTtlSecs?: number;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function startThirdParty(options: ThirdPartyOptions): Promise<ThirdParty> {
  const { default: Provider } = (await import('oidc-provider')) as { default: any };
  const ttl = options.accessTokenTtlSecs ?? 120;
  const signing = await generateKeyPair('RS256', { extractable: true });
  const ours = await generateKeyPair('ES256', { extractable: true });
  const privateJwk: JWK = { ...(await exportJWK(ours.privateKey)), alg: 'ES256', kid: 'our-key' };
  const publicJwk: JWK = { ...(await exportJWK(ours.publicKey)), alg: 'ES256', kid: 'our-key', use: 'sig' };

  const providerServer = createServer();
  const issuer = await listen(providerServer);
  const apiServer = createServer();
  const apiOrigin = await listen(apiServer);

  const confidential = {
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: [...options.redirectUris],
    scope: 'openid offline_access api:read',
  };
  const provider = new Provider(issuer, {
    clients: [
      { ...confidential, client_id: 'basic-client', client_secret: SECRET_BASIC, token_endpoint_auth_method: 'client_secret_basic' },
      { ...confidential, client_id: 'post-client', client_secret: SECRET_POST, token_endpoint_auth_method: 'client_secret_post' },
      {
        client_id: 'jwt-client',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api:read',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [publicJwk] },
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(signing.privateKey)), alg: 'RS256', use: 'sig', kid: 'provider-key' }] },
    scopes: ['openid', 'offline_access', 'api:read'],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    ttl: { AccessToken: ttl, ClientCredentials: ttl, RefreshToken: 86_400, Grant: 86_400, Session: 86_400, Interaction: 600 },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api:read',
          audience: RESOURCE,
          accessTokenTTL: ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  provider.proxy = false;

  const tokenRequests: Record<string, number> = {};
  const count = (ctx: any) => {
    const grant = String(ctx.oidc?.params?.grant_type ?? 'unknown');
    tokenRequests[grant] = (tokenRequests[grant] ?? 0) + 1;
  };
  provider.on('grant.success', count);
  provider.on('grant.error', count);

  const state: ThirdParty = {
    issuer,
    apiBaseUrl: `${apiOrigin}/api`,
    tokenRequests,
    privateJwk,
    tokenEndpointMode: 'normal',
    discoveryMode: 'normal',
    oversizedBytesSent: 0,
    rejectNextApiRequests: 0,
    provider,
    close: async () => {
      for (const server of [providerServer, apiServer]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };

  const callback = provider.callback();
  providerServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const tokenRequest = req.url?.startsWith('/token') && !req.url.startsWith('/token/');
    if (tokenRequest && state.tokenEndpointMode === 'hang') {
      // never answers; the client's timeout must end it
    } else if (tokenRequest && state.tokenEndpointMode === 'unavailable') {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"temporarily_unavailable"}');
    } else if (
      (tokenRequest && state.tokenEndpointMode === 'oversized') ||
      (req.url?.startsWith('/.well-known/') && state.discoveryMode === 'oversized')
    ) {
      streamEndlessJson(res, (n) => (state.oversizedBytesSent += n));
    } else {
      callback(req, res);
    }
  });

  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  apiServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      state.lastApiRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const deny = (why: string): void => {
        res
          .writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer error="invalid_token"` })
          .end(JSON.stringify({ error: why }));
      };
      if (state.rejectNextApiRequests > 0) {
        state.rejectNextApiRequests -= 1;
        return deny('rejected by the test');
      }
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!token) return deny('no bearer token');
      try {
        const { payload } = await jwtVerify(token, jwks, { issuer, audience: RESOURCE, algorithms: ['RS256'] });
        if (state.apiBody) {
          const { bytes, contentType } = state.apiBody;
          const headers = { 'content-type': contentType, connection: 'close', ...state.apiHeaders };
          return void res.writeHead(200, headers).end(Buffer.alloc(bytes, 0x61));
        }
        res.writeHead(200, { 'content-type': 'application/json', 'x-api': 'resource', connection: 'close', ...state.apiHeaders }).end(
          JSON.stringify({
            data: 'incidents',
            path: req.url,
            sub: payload.sub ?? null,
            client_id: payload.client_id,
            scope: payload.scope,
          }),
        );
      } catch {
        deny('invalid token');
      }
    });
  });
  return state;
}

/** A 200 JSON answer that never ends (64 MiB, no content-length), counting what it got to write, until the reader hangs up. */
function streamEndlessJson(res: ServerResponse, sent: (bytes: number) => void): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"access_token":"');
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let left = 1024;
  res.on('close', () => (left = 0));
  const pump = (): void => {
    while (left > 0) {
      left--;
      sent(chunk.length);
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end('"}');
  };
  pump();
}

/** One request of a cookie-keeping browser: sends the jar's cookies, keeps what the response sets, follows nothing. */
export async function cookieFetch(cookies: Map<string, string>, url: string, init: RequestInit = {}): Promise<Response> {
  const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const response = await fetch(url, {
    ...init,
    redirect: 'manual',
    headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
  });
  for (const set of response.headers.getSetCookie()) {
    const [pair] = set.split(';');
    const eq = pair.indexOf('=');
    cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return response;
}

/** A cookie-keeping "browser" that follows redirects and submits oidc-provider's dev login and consent forms. */
export async function browse(
  start: string,
  options: { login?: string; maxSteps?: number; cookies?: Map<string, string> } = {},
): Promise<{ url: string; response: Response; body: string }> {
  const cookies = options.cookies ?? new Map<string, string>();
  let url = start;
  let init: RequestInit = {};
  for (let step = 0; step < (options.maxSteps ?? 20); step++) {
    const response = await cookieFetch(cookies, url, init);
    init = {};
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.arrayBuffer();
      url = new URL(location, url).href;
      continue;
    }
    const body = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(body)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(body)?.[1];
    if (action && prompt) {
      const form = new URLSearchParams({ prompt, ...(prompt === 'login' ? { login: options.login ?? 'alice', password: 'x' } : {}) });
      url = new URL(action.replace(/&amp;/g, '&'), url).href;
      init = { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
      continue;
    }
    return { url, response, body };
  }
  throw new Error(`browse: more than ${options.maxSteps ?? 20} steps from ${start}`);
}
