/**
 * The issuer check Terraform runs before it creates the JWT authorizers: it waits, over real HTTP, until the issuer
 * serves its discovery document and a JWKS with a key, and fails the apply with the reason when it never does.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AWAIT_ISSUER_BOUND_MS, awaitIssuer } from '../../lambdas/rotation/await-issuer';

describe('await-issuer', () => {
  let server: Server;
  let issuer: string;
  const state = { discoveryMisses: 0, keys: [] as unknown[], announced: '' };

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        if (state.discoveryMisses > 0) {
          state.discoveryMisses--;
          res.writeHead(404).end('{"message":"Not Found"}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ issuer: state.announced || issuer, jwks_uri: `${issuer}/.well-known/jwks.json` }));
        return;
      }
      if (req.url === '/.well-known/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A clock that moves only when the check sleeps, so the deadline is tested without waiting. */
  const simulatedTime = () => {
    let now = 0;
    return { clock: () => now, sleep: async (ms: number) => void (now += ms) };
  };

  it('waits while routes are not deployed yet, and returns once discovery and a key answer', async () => {
    Object.assign(state, { discoveryMisses: 2, keys: [{ kty: 'RSA', kid: 'k1', n: 'x', e: 'AQAB' }], announced: '' });
    const result = await awaitIssuer({ action: 'await-issuer', issuer: `${issuer}/` }, simulatedTime());
    assert.equal(result.issuer, issuer);
    assert.equal(result.attempts, 3);
  });

  it('fails the apply, saying what is missing, when the JWKS never has a key', async () => {
    Object.assign(state, { discoveryMisses: 0, keys: [], announced: '' });
    await assert.rejects(
      awaitIssuer({ action: 'await-issuer', issuer }, { ...simulatedTime(), deadlineMs: 30_000 }),
      /did not answer as API Gateway needs .*jwks\.json publishes no key.* within \d+ s/,
    );
  });

  it('fails when the discovery document announces another issuer', async () => {
    Object.assign(state, { discoveryMisses: 0, keys: [{ kty: 'RSA', kid: 'k1' }], announced: 'https://elsewhere.example' });
    await assert.rejects(
      awaitIssuer({ action: 'await-issuer', issuer }, { ...simulatedTime(), deadlineMs: 10_000 }),
      /announces issuer "https:\/\/elsewhere\.example"/,
    );
  });

  it('gives up within its bound, well under a 60 s idle-connection cut-off, when the issuer never answers', async () => {
    // Every fetch waits out its whole timeout (5 s) before failing: the slowest the check can be.
    let now = 0;
    const hanging = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
      now += 5_000;
      throw Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError', signal: init?.signal });
    };
    const sleep = async (ms: number) => void (now += ms);
    await assert.rejects(
      awaitIssuer({ action: 'await-issuer', issuer }, { fetch: hanging, clock: () => now, sleep }),
      /did not answer as API Gateway needs .*could not be read: The operation was aborted due to timeout/,
    );
    assert.ok(now <= AWAIT_ISSUER_BOUND_MS, `gave up after ${now} ms, over its bound of ${AWAIT_ISSUER_BOUND_MS} ms`);
    assert.ok(AWAIT_ISSUER_BOUND_MS <= 45_000, `the bound, ${AWAIT_ISSUER_BOUND_MS} ms, must stay well under 60 s`);
  });

  it('with DNS left to the operator, names the record to create when the custom domain does not resolve', async () => {
    // What undici's fetch throws when the name has no record.
    const unresolved = async (): Promise<Response> => {
      const cause = Object.assign(new Error('getaddrinfo ENOTFOUND auth.example.com'), { code: 'ENOTFOUND' });
      throw new TypeError('fetch failed', { cause });
    };
    const dnsRecord = { name: 'auth.example.com', target: 'd-abc123.execute-api.eu-west-1.amazonaws.com' };
    await assert.rejects(
      awaitIssuer({ action: 'await-issuer', issuer: 'https://auth.example.com', dnsRecord }, { ...simulatedTime(), fetch: unresolved }),
      /openid-configuration could not be read: fetch failed \(ENOTFOUND\).* Create the DNS record auth\.example\.com CNAME d-abc123\.execute-api\.eu-west-1\.amazonaws\.com/,
    );
    // An apply right after the record was made may still meet a cached "no such name"; meanwhile nothing guards a destroy.
    await assert.rejects(
      awaitIssuer({ action: 'await-issuer', issuer: 'https://auth.example.com', dnsRecord }, { ...simulatedTime(), fetch: unresolved }),
      /negative-caching TTL \(the SOA record's minimum field\).*no destroy guard \(it is created last\)/,
    );
  });

  it('fails at once on an issuer that is not a URL', async () => {
    await assert.rejects(awaitIssuer({ action: 'await-issuer', issuer: 'not a url' }), /issuer must be an http\(s\) URL/);
  });
});
