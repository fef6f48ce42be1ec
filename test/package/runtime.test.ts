/**
 * `oauth-registry/runtime`: the proxy helper signs exactly as the AWS SDK's SigV4 signer does (the real
 * @smithy/signature-v4 as the peer), and sends what it signed.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import { CONNECTIONS_FUNCTION_ENV, connectionFetch, connectionProxyUrl, PROXY_SUBJECT_HEADER, signRequest } from 'oauth-registry/runtime';
import { SUBJECT_HEADER } from '../../lambdas/connections/proxy';
import { ENV } from '../../lambdas/shared/names';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLE',
};
const now = new Date('2025-03-04T05:06:07Z');

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** The SDK's `Checksum` shape over node:crypto (HMAC when given a secret), as @smithy/hash-node implements it. */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

async function smithySignature(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Record<string, string>> {
  const u = new URL(url);
  const signer = new SignatureV4({ credentials, region: 'eu-west-1', service: 'execute-api', sha256: Sha256 });
  // The query as the wire carries it: a `+` is a literal plus to AWS (URLSearchParams would read a space).
  const query: Record<string, string | string[]> = {};
  for (const pair of u.search.slice(1).split('&').filter(Boolean)) {
    const at = pair.indexOf('=');
    const [k, v] = (at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)]).map(decodeURIComponent) as [string, string];
    const seen = query[k];
    query[k] = seen === undefined ? v : [seen].flat().concat(v);
  }
  const request = {
    method,
    protocol: u.protocol,
    hostname: u.hostname,
    path: u.pathname,
    query,
    headers: { host: u.host, ...headers },
    ...(body !== undefined ? { body } : {}),
  };
  const signed = await signer.sign(request, { signingDate: now });
  return signed.headers;
}

describe('oauth-registry/runtime', () => {
  for (const [method, url, headers, body] of [
    ['GET', 'https://abc123.execute-api.eu-west-1.amazonaws.com/connections/Salesforce/proxy/sobjects/Account', {}, undefined],
    [
      'POST',
      'https://api.example.com/connections/Crm/proxy/a%20b/c?z=1&a=2&a=1&sp=x%20y',
      { 'content-type': 'application/json' },
      '{"q":1}',
    ],
    ['GET', 'https://api.example.com/connections/Crm/proxy/search?q=a+b&token=x%2By', {}, undefined],
    ['GET', 'https://api.example.com/connections/Crm/proxy/p//x/./y/', {}, undefined],
  ] as const) {
    it(`signs ${method} ${new URL(url).pathname} as @smithy/signature-v4 does`, async () => {
      const ours = signRequest({
        method,
        url,
        headers,
        body: body === undefined ? undefined : Buffer.from(body),
        credentials,
        region: 'eu-west-1',
        service: 'execute-api',
        now,
      });
      const theirs = await smithySignature(method, url, headers, body);
      assert.equal(ours.authorization, theirs.authorization);
      assert.equal(ours['x-amz-date'], theirs['x-amz-date']);
      assert.equal(ours['x-amz-security-token'], theirs['x-amz-security-token']);
    });
  }

  it("refuses a path that would leave the connection's proxy for another's", () => {
    const env = { OAUTH_ISSUER: 'https://api.example.com' };
    assert.equal(connectionProxyUrl('Crm', '/a/b?x=../y', env), 'https://api.example.com/connections/Crm/proxy/a/b?x=../y');
    for (const path of ['../Other/proxy/x', 'a/../../Other/proxy/x', './x']) {
      assert.throws(() => connectionProxyUrl('Crm', path, env), /must stay under the connection's proxy/, path);
    }
  });

  it('connectionFetch sends the signed request to the proxy URL, with the subject header', async () => {
    const seen: IncomingMessage[] = [];
    const server = createServer((req, res) => {
      seen.push(req);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const env = { [ENV.ISSUER]: base, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' };
      const response = await connectionFetch('Crm', '/items?x=1', { subject: 'alice', env });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { ok: true });
      const [request] = seen;
      assert.equal(request.url, '/connections/Crm/proxy/items?x=1');
      assert.match(
        String(request.headers.authorization),
        /^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/execute-api\/aws4_request, /,
      );
      assert.equal(request.headers[PROXY_SUBJECT_HEADER], 'alice');
      // Local mode: no signature, the local registry's URL.
      await connectionFetch('Crm', 'items', { env: { [ENV.CONNECTIONS_LOCAL_URL]: base } });
      assert.equal(seen[1].headers.authorization, undefined);
    } finally {
      server.close();
    }
  });

  it('names the variables it reads, and fails clearly without them', async () => {
    assert.equal(CONNECTIONS_FUNCTION_ENV, ENV.CONNECTIONS_FUNCTION);
    assert.equal(PROXY_SUBJECT_HEADER, SUBJECT_HEADER);
    assert.throws(() => connectionProxyUrl('Crm', '/x', {}), /OAUTH_ISSUER is not set: .*grantProxyAccess/);
    await assert.rejects(
      connectionFetch('Crm', '/x', { env: { [ENV.ISSUER]: 'https://x.example', AWS_REGION: 'eu-west-1' } }),
      /no AWS credentials/,
    );
  });
});
