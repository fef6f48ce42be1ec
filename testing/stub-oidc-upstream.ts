/**
 * A minimal upstream OpenID provider for handler-level sign-in tests: its discovery document, and a token endpoint
 * (any other path) answering with an RS256 ID token for subject `alice`, audience `clientId`, carrying the nonce the
 * test last set. It records the path of every request, so a test can count what the registry fetched.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, generateKeyPair } from 'jose';

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
