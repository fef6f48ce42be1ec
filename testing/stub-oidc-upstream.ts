/**
 * A minimal upstream OpenID provider for handler-level sign-in tests: its discovery document, and a token endpoint
 * (any other path) answering with an RS256 ID token for subject `alice`, audience `clientId`, carrying the nonce the
 * test last set. It records the path of every request, so a test can count what the registry fetched. And the
 * registry those tests sign in at it: its config, secrets and web client (`signInRegistry`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, generateKeyPair } from 'jose';
import { MemorySecretStore } from '../lambdas/shared/adapters/local-secret-store';
import type { AuthorizationServerConfig } from '../lambdas/shared/config';
import type { ClientRegistration } from '../lambdas/shared/manifest';

export interface StubOidcUpstream {
  readonly issuer: string;
  /** The path of every request, in order. */
  readonly fetches: string[];
  /** The nonce the next ID token carries (the one the registry sent in its authorization request). */
  setNonce(nonce: string): void;
  close(): Promise<void>;
}

export async function startStubOidcUpstream(clientId: string): Promise<StubOidcUpstream> {
  const { privateKey } = await generateKeyPair('RS256');
  const fetches: string[] = [];
  let nonce = '';
  let issuer = '';
  const server = createServer((req, res) => {
    fetches.push(req.url ?? '');
    const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/.well-known/openid-configuration') {
      json({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
      return;
    }
    void new SignJWT({ nonce })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(issuer)
      .setAudience(clientId)
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey)
      .then((idToken) => json({ access_token: 'upstream-at', token_type: 'Bearer', id_token: idToken }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    fetches,
    setNonce: (value) => {
      nonce = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The issuer of the registry the handler-level sign-in tests run. */
export const SIGN_IN_ISSUER = 'https://auth.example.test';
/** Where the sign-in tests' web client receives its code. */
export const SIGN_IN_REDIRECT_URI = 'https://app.example.test/callback';
/** The public web client (PKCE, remembered consent) the sign-in tests authorize. */
export const SIGN_IN_WEB_CLIENT: ClientRegistration = {
  name: 'Web',
  clientId: 'web-app',
  grantTypes: ['authorization_code'],
  authMethod: 'none',
  scopes: ['incidents.read'],
  accessTokenTtlSecs: 600,
  active: true,
  redirectUris: [SIGN_IN_REDIRECT_URI],
  rememberConsent: true,
};
const UPSTREAM_SECRET_ID = 'test/user-authentication';

/**
 * A registry whose users sign in at `upstream` (its client id `clientId`, its secret set): the server's config, with
 * `extra` settings, and its secrets. Its one client is `SIGN_IN_WEB_CLIENT`.
 */
export async function signInRegistry(
  upstream: StubOidcUpstream,
  clientId: string,
  extra: Partial<AuthorizationServerConfig> = {},
): Promise<{ config: AuthorizationServerConfig; secrets: MemorySecretStore }> {
  const secrets = new MemorySecretStore();
  secrets.createSecret(UPSTREAM_SECRET_ID);
  await secrets.putSecretValue(UPSTREAM_SECRET_ID, 'v1', 'upstream-secret', ['AWSCURRENT']);
  const config: AuthorizationServerConfig = {
    issuer: SIGN_IN_ISSUER,
    signingKeySecretId: 'test/signing-key',
    secretOverlapSecs: 3600,
    scopesSupported: ['incidents.read'],
    cacheTtlSecs: 60,
    authMethodsSupported: ['none'],
    grantTypesSupported: ['authorization_code'],
    allowPrivateNetwork: true,
    userAuthentication: { issuer: upstream.issuer, clientId, scopes: ['openid'], secretId: UPSTREAM_SECRET_ID },
    ...extra,
  };
  return { config, secrets };
}
