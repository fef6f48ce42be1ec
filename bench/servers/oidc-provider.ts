/**
 * The peer for the HTTP token rate: panva's oidc-provider with client_credentials and RS256 JWT access tokens,
 * on 127.0.0.1. Prints one JSON line `{ url, client_id, client_secret }` when it listens.
 */
import { generateKeyPair, exportJWK, calculateJwkThumbprint } from 'jose';

async function main(): Promise<void> {
  type ProviderClass = new (issuer: string, config: object) => OidcProvider;
  const { default: Provider } = (await import('oidc-provider')) as unknown as { default: ProviderClass };
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig' };
  const kid = await calculateJwkThumbprint(jwk);
  const client = { client_id: 'bench-client', client_secret: 'bench-secret-0123456789abcdef0123456789abcdef' };
  const resource = 'urn:bench:api';

  const { createServer } = await import('node:http');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        ...client,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [{ ...jwk, kid }] },
    scopes: ['incidents.read'],
    features: {
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'incidents.read',
          audience: resource,
          accessTokenTTL: 900,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ url: `${issuer}/token`, ...client })}\n`);
}

interface OidcProvider {
  callback(): (req: unknown, res: unknown) => void;
}

void main();
