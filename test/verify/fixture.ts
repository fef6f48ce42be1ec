/**
 * What each verify check's test needs: a real local registry (the example app or a variant of its manifest), the
 * context verify builds from it (metadata discovered over HTTP, a token source reading the registry's real secrets),
 * and a broken server on 127.0.0.1 answering as a misconfigured registry would.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { timedGet } from '../../bin/verify/http-get';
import { tokenSource, type PrimaryToken } from '../../bin/verify/tokens';
import type { VerifyContext } from '../../bin/verify/verify-context';
import type { ClientRegistration, RegistryManifest } from '../../lambdas/shared/manifest';
import { WEB_CLIENT } from '../../testing/example-app';
import { exampleManifest, startExample } from '../e2e/fixture';

export { exampleManifest, startExample };

export const OWN_AUDIENCE = 'https://incident-api.example';
export const OTHER_API = 'https://other-api.example';

/** A `private_key_jwt` client named `name` whose keys are at `jwksUri` (a key server on 127.0.0.1). */
export const privateKeyJwtClient = (name: string, jwksUri: string): ClientRegistration => ({
  name,
  clientId: name.toLowerCase(),
  grantTypes: ['client_credentials'],
  authMethod: 'private_key_jwt',
  scopes: ['incidents.read'],
  accessTokenTtlSecs: 300,
  active: true,
  jwksUri,
  jwksUriAllowPrivateNetwork: true,
});

/** A client whose tokens are minted for another API: no route of the registry may accept them. */
export const OTHER_API_CLIENT: ClientRegistration = {
  name: 'OtherApiJob',
  clientId: 'other-api-job',
  grantTypes: ['client_credentials'],
  authMethod: 'client_secret_post',
  scopes: ['incidents.read'],
  audience: OTHER_API,
  accessTokenTtlSecs: 300,
  active: true,
  secretId: 'incident-api/clients/OtherApiJob',
  secretRotationDays: 90,
};

/** The example app with its own audience, a client minted for another API, and user sign-in with a web client. */
export function declaredManifest(): RegistryManifest {
  const example = exampleManifest();
  const other = OTHER_API_CLIENT;
  return {
    ...example,
    audience: OWN_AUDIENCE,
    clients: [...example.clients, other, WEB_CLIENT],
    userAuthentication: {
      issuer: 'http://127.0.0.1:9', // never reached: a request without PKCE is refused before any redirect upstream
      clientId: 'incident-api',
      scopes: ['openid'],
      secretId: 'incident-api/user-authentication',
    },
  };
}

export interface ContextOptions {
  /** A client's secret; default: the registry's real one. */
  readonly secretOf?: (client: ClientRegistration) => Promise<string>;
  readonly callUnsafeRoutes?: boolean;
  readonly connectionHealth?: VerifyContext['connectionHealth'];
}

/** The context verify builds for `registry` checked against `manifest`, with no primary token yet (`withToken`). */
export async function contextOf(
  registry: Pick<LocalRegistry, 'issuer' | 'credentials'>,
  manifest: RegistryManifest,
  options: ContextOptions = {},
): Promise<VerifyContext & { readonly hidden: Set<string> }> {
  const get = timedGet(10_000);
  const response = await get(`${registry.issuer}/.well-known/openid-configuration`);
  const discovered = (await response.json()) as Record<string, unknown>;
  const hidden = new Set<string>();
  const secretOf = options.secretOf ?? (async (client: ClientRegistration) => registry.credentials[client.name].client_secret);
  const tokens = tokenSource({ get, endpoint: String(discovered.token_endpoint), secretOf, hidden });
  return {
    issuer: registry.issuer,
    manifest,
    get,
    discovered,
    tokens,
    hidden,
    callUnsafeRoutes: options.callUnsafeRoutes ?? false,
    ...(options.connectionHealth ? { connectionHealth: options.connectionHealth } : {}),
  };
}

/** `context` with `client`'s real token as the primary one (what the `token` check hands on). */
export async function withToken<T extends VerifyContext>(context: T, client: string): Promise<T & { primary: PrimaryToken }> {
  const registration = context.manifest.clients.find((c) => c.name === client);
  if (!registration) throw new Error(`no client ${client}`);
  return { ...context, primary: { client: registration, ...(await context.tokens.of(registration)) } };
}

export interface Served {
  readonly url: string;
  readonly close: () => Promise<void>;
}

/** An HTTP server on 127.0.0.1 answering with `handler` (its request body read first). */
export async function serve(handler: (req: IncomingMessage, res: ServerResponse, url: URL, body: string) => void): Promise<Served> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, res, new URL(req.url ?? '/', url), Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
