/**
 * Local mode's hardening, over raw HTTP (node:http, Host and Origin set by hand): bad percent-encoding is a 400 or a
 * 404, never a 5xx; a foreign Host (DNS rebinding) is refused everywhere; cross-origin requests are refused on the
 * local-only surfaces (the broker, the proxy, internal introspection) but not on the OAuth endpoints; the broker takes
 * JSON only; request data cannot forge a log line.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { consoleLogger } from '../../bin/local/console-logger';
import { startTarget, type FuzzTarget } from '../../fuzz/target';

interface Answer {
  status: number;
  body: string;
}

function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const all = {
      host: `127.0.0.1:${port}`,
      ...headers,
      ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
    };
    const req = request({ host: '127.0.0.1', port, method, path, headers: all, agent: false, setHost: false });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('local mode hardening', () => {
  let target: FuzzTarget;
  let port: number;
  const lines: string[] = [];
  const json = { 'content-type': 'application/json' };

  before(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    target = await startTarget({ log: consoleLogger(stream) });
    port = target.port;
  });
  after(async () => {
    await target?.close();
  });

  describe('malformed percent-encoding', () => {
    it('is a 400 in a path parameter, never a 500', async () => {
      assert.equal((await send(port, 'GET', '/connections/%ZZ/connect')).status, 400);
      assert.equal((await send(port, 'POST', '/_local/connections/%ZZ/token', json, '{}')).status, 400);
      assert.equal((await send(port, 'GET', '/connections/Salesforce/proxy/%c0%ae')).status, 400);
      assert.equal((await send(port, 'GET', '/connections/Api/proxy/%')).status, 400);
    });

    it('an encoded % reaches the handler decoded once: an unknown connection (404), not a 500 page', async () => {
      const answer = await send(port, 'GET', '/connections/%25ZZ/connect');
      assert.equal(answer.status, 404);
      const broker = await send(port, 'POST', '/_local/connections/%25ZZ/token', json, '{}');
      assert.equal(broker.status, 404);
      assert.deepEqual(JSON.parse(broker.body), { error: 'unknown_connection', error_description: "no connection named '%ZZ'" });
    });

    it('the connections handler in process: a decoded parameter is not decoded again (as in AWS)', async () => {
      const event = {
        version: '2.0',
        routeKey: 'GET /connections/{name}/connect',
        rawPath: '/connections/%25ZZ/connect',
        rawQueryString: '',
        headers: {},
        pathParameters: { name: '%ZZ' },
        isBase64Encoded: false,
        requestContext: { http: { method: 'GET', path: '/connections/%25ZZ/connect' } },
      } as never;
      const result = await target.registry.connections!.server.handle(event);
      assert.equal(result.statusCode, 404);
    });
  });

  describe('Host (DNS rebinding)', () => {
    it('refuses a foreign Host on every route, the broker and discovery alike', async () => {
      for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`, `127.0.0.1.evil.example:${port}`]) {
        const broker = await send(port, 'POST', '/_local/connections/Api/token', { host, ...json }, '{}');
        assert.equal(broker.status, 421, host);
        assert.doesNotMatch(broker.body, /access_token/);
        assert.equal((await send(port, 'GET', '/.well-known/openid-configuration', { host })).status, 421, host);
      }
    });

    it('answers 127.0.0.1, localhost and [::1] with its port', async () => {
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
        assert.equal((await send(port, 'GET', '/.well-known/jwks.json', { host })).status, 200, host);
      }
    });

    it('refuses an absolute or //authority request target', async () => {
      assert.equal((await send(port, 'GET', `http://evil.example/.well-known/jwks.json`)).status, 400);
      assert.equal((await send(port, 'GET', '//evil.example/.well-known/jwks.json')).status, 400);
    });
  });

  describe('cross-origin requests', () => {
    it('a cross-site text/plain POST cannot get a third-party token from the broker', async () => {
      const attempts: Record<string, string>[] = [
        { origin: 'http://evil.example', 'content-type': 'text/plain' },
        { origin: 'http://evil.example', ...json },
        { origin: 'null', ...json },
        { 'sec-fetch-site': 'cross-site', ...json },
        { 'sec-fetch-site': 'same-site', ...json },
      ];
      for (const headers of attempts) {
        const answer = await send(port, 'POST', '/_local/connections/Api/token', headers, '{}');
        assert.equal(answer.status, 403, JSON.stringify(headers));
        assert.doesNotMatch(answer.body, /access_token|consent_url/);
      }
    });

    it('judges the path the router will serve: dot segments and encoded dots reach no local-only endpoint', async () => {
      const headers = { origin: 'http://evil.example', ...json };
      for (const target of ['/./_local/connections/Api/token', '/a/../_local/connections/Api/token', '/%2e/_local/connections/Api/token']) {
        const answer = await send(port, 'POST', target, headers, '{}');
        assert.equal(answer.status, 403, target);
        assert.doesNotMatch(answer.body, /access_token/);
      }
    });

    it('no consent link for any subject from a web page', async () => {
      const answer = await send(
        port,
        'POST',
        '/_local/connections/Salesforce/token',
        { origin: 'http://evil.example', 'content-type': 'text/plain' },
        '{"subject":"victim"}',
      );
      assert.equal(answer.status, 403);
      assert.doesNotMatch(answer.body, /link=/);
    });

    it('the broker takes application/json itself, not a type that merely mentions it (415)', async () => {
      for (const type of ['text/plain; x=application/json', 'text/plain;application/json', 'application/jsonx', 'x-application/json']) {
        const answer = await send(port, 'POST', '/_local/connections/Api/token', { 'content-type': type }, '{}');
        assert.equal(answer.status, 415, type);
        assert.doesNotMatch(answer.body, /access_token/);
      }
      assert.equal(
        (await send(port, 'POST', '/_local/connections/Api/token', { 'content-type': 'Application/JSON; charset=utf-8' }, '{}')).status,
        200,
      );
    });

    it('the broker takes JSON only (415), and a same-origin or Origin-less JSON request works', async () => {
      assert.equal((await send(port, 'POST', '/_local/connections/Api/token', { 'content-type': 'text/plain' }, '{}')).status, 415);
      assert.equal((await send(port, 'POST', '/_local/connections/Api/token', {}, '{}')).status, 415);
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      assert.equal((await send(port, 'POST', '/_local/connections/Api/token', form, 'subject=x')).status, 415);
      for (const body of ['null', '[]', '42', '{"subject":{}}', '{"subject":']) {
        assert.equal((await send(port, 'POST', '/_local/connections/Api/token', json, body)).status, 400, body);
      }
      const cli = await send(port, 'POST', '/_local/connections/Api/token', json, '{}');
      assert.equal(cli.status, 200, cli.body);
      assert.ok(JSON.parse(cli.body).access_token);
      const sameOrigin = { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin', ...json };
      assert.equal((await send(port, 'POST', '/_local/connections/Api/token', sameOrigin, '{}')).status, 200);
    });

    it('a cross-site request through the proxy never reaches the third party', async () => {
      for (const [method, headers] of [
        ['POST', { origin: 'http://evil.example', 'content-type': 'text/plain' }],
        ['GET', { 'sec-fetch-site': 'cross-site' }],
      ] as const) {
        const answer = await send(port, method, '/connections/Api/proxy/incidents', headers, method === 'POST' ? 'x' : undefined);
        assert.equal(answer.status, 403);
      }
      const ok = await send(port, 'GET', '/connections/Api/proxy/incidents');
      assert.equal(ok.status, 200, ok.body);
    });

    it('no page loads through the proxy: navigations and frames are refused, even same-origin or typed in', async () => {
      for (const headers of [
        { 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'none', 'sec-fetch-dest': 'document' },
        { 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'same-origin' },
        { 'sec-fetch-dest': 'document' },
        { 'sec-fetch-dest': 'iframe', 'sec-fetch-site': 'same-origin' },
      ] as Record<string, string>[]) {
        const answer = await send(port, 'GET', '/connections/Api/proxy/incidents', headers);
        assert.equal(answer.status, 403, JSON.stringify(headers));
        assert.doesNotMatch(answer.body, /incidents/);
      }
      const fromScript = { 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin', 'sec-fetch-dest': 'empty' };
      assert.equal((await send(port, 'GET', '/connections/Api/proxy/incidents', fromScript)).status, 200);
    });

    it('the dashboard (/) refuses cross-site requests: an <img> or fetch on another page', async () => {
      for (const headers of [
        { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' },
        { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' },
        { origin: 'http://evil.example' },
      ] as Record<string, string>[]) {
        assert.equal((await send(port, 'GET', '/', headers)).status, 403, JSON.stringify(headers));
      }
      // This server has no dashboard (404); what matters is that the guard lets the operator's own requests through.
      for (const headers of [{}, { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' }, { 'sec-fetch-site': 'same-origin' }] as Record<
        string,
        string
      >[]) {
        assert.notEqual((await send(port, 'GET', '/', headers)).status, 403, JSON.stringify(headers));
      }
    });

    it('internal introspection (IAM in AWS) refuses cross-origin requests too', async () => {
      const form = { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' };
      assert.equal((await send(port, 'POST', '/internal/introspect', form, 'token=x')).status, 403);
    });

    it('leaves the OAuth endpoints to browser apps with an Origin: token, revocation, introspection, discovery', async () => {
      const form = { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://app.example', 'sec-fetch-site': 'cross-site' };
      const token = await send(port, 'POST', '/oauth2/token', form, 'grant_type=client_credentials&client_id=x&client_secret=y');
      assert.equal(token.status, 401, token.body);
      assert.equal(JSON.parse(token.body).error, 'invalid_client');
      for (const path of ['/oauth2/revoke', '/oauth2/introspect']) {
        // Answered by the endpoint itself (no client authenticated), not refused by the guard.
        const answer = await send(port, 'POST', path, form, 'token=x');
        assert.deepEqual([answer.status, JSON.parse(answer.body).error], [401, 'invalid_client'], path);
      }
      assert.equal((await send(port, 'GET', '/.well-known/openid-configuration', { origin: 'https://app.example' })).status, 200);
      // connect and callback are top-level navigations from other sites by design
      const connect = await send(port, 'GET', '/connections/Salesforce/connect?link=x', { 'sec-fetch-site': 'cross-site' });
      assert.equal(connect.status, 400, 'the connect endpoint refuses the bad link itself');
      assert.match(connect.body, /link/i);
    });
  });

  describe('logs', () => {
    it('a parameter with a newline or escape sequence cannot forge a log line', async () => {
      const before = lines.length;
      const forged = 'x\n00:00:00.000 info forged\u001b[2J';
      await send(port, 'POST', `/_local/connections/${encodeURIComponent(forged)}/token`, json, '{}');
      await send(port, 'POST', '/_local/connections/Salesforce/token', json, JSON.stringify({ subject: forged }));
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      await send(
        port,
        'POST',
        '/oauth2/token',
        form,
        new URLSearchParams({ grant_type: 'client_credentials', client_id: forged }).toString(),
      );
      const written = lines.slice(before);
      assert.ok(written.length >= 2, written.join('\n'));
      assert.ok(!written.some((line) => line.startsWith('00:00:00.000')), written.join('\n'));
      assert.ok(
        written.some((line) => line.includes('x\\n00:00:00.000 info forged\\u001b[2J')),
        written.join('\n'),
      );
      assert.ok(!written.some((line) => line.includes('\u001b')), written.join('\n'));
    });

    it('a client secret sent where the client id goes never reaches the log', async () => {
      const { client_id: id, client_secret: secret } = target.registry.credentials.AcmeMonitoring;
      const before = lines.length;
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      const attempts: [Record<string, string>, string][] = [
        [form, new URLSearchParams({ grant_type: 'client_credentials', client_id: `${id}:${secret}` }).toString()],
        [form, new URLSearchParams({ grant_type: 'client_credentials', client_id: secret, client_secret: id }).toString()],
        [{ ...form, authorization: basic(secret, id) }, 'grant_type=client_credentials'],
        [form, new URLSearchParams({ grant_type: 'nonsense', client_id: `${id}:${secret}` }).toString()],
      ];
      for (const [headers, body] of attempts) {
        assert.equal((await send(port, 'POST', '/oauth2/token', headers, body)).status >= 400, true);
      }
      const written = lines.slice(before);
      assert.ok(written.filter((line) => line.includes('token_denied')).length >= attempts.length, written.join('\n'));
      assert.ok(!written.some((line) => line.includes(secret)), written.join('\n'));
      // A well-formed id is still logged: the operator sees who was refused.
      await send(port, 'POST', '/oauth2/token', form, new URLSearchParams({ grant_type: 'client_credentials', client_id: id }).toString());
      assert.ok(lines.slice(before).some((line) => line.includes('token_denied') && line.includes(id)));
    });

    it('an error is logged by its message, not as {}', () => {
      const out: string[] = [];
      const log = consoleLogger(
        new Writable({
          write(chunk: Buffer, _e, done) {
            out.push(chunk.toString());
            done();
          },
        }),
        { debug: false },
      );
      log.error('local_server_error', { error: new Error('disk full\nfake line') });
      assert.equal(out.length, 1);
      assert.match(out[0], /error=Error: disk full\\nfake line\n$/);
      assert.doesNotMatch(out[0], /error=\{\}/);
    });
  });
});
