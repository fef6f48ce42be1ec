/**
 * The one bounded fetch: real HTTP servers on loopback answer with a huge body, a redirect, silence; the fetch reads no
 * more than its cap, follows nothing, gives up on time, and refuses private addresses unless allowed.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { boundedFetch, isPrivateAddress, PrivateAddressError, ResponseTooLargeError } from '../../lambdas/shared/bounded-fetch';

describe('boundedFetch', () => {
  let server: Server;
  let base: string;
  let bytesSent = 0;

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/huge') {
        // 40 MiB, streamed without a content-length: the cap must stop reading, not buffer it all.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let left = 640;
        const pump = () => {
          while (left > 0) {
            left--;
            bytesSent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => (left = 0));
        return pump();
      }
      if (req.url === '/declared-huge') return void res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) }).end();
      if (req.url === '/redirect') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (req.url === '/silent') return; // never answers
      if (req.url === '/trickle') {
        // Headers at once, then one byte every 100 ms for 3 s: the deadline must cover the body, not just the headers.
        res.writeHead(200, { 'content-type': 'application/json' });
        let left = 30;
        const drip = setInterval(() => (left-- > 0 ? res.write(' ') : (clearInterval(drip), res.end())), 100);
        res.on('close', () => clearInterval(drip));
        return;
      }
      if (req.url === '/echo') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c));
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, body })));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const local = boundedFetch({ maxBytes: 64 * 1024, timeoutMs: 5_000, allowPrivateNetwork: true });

  it('reads no more than its cap of an unbounded body, and says so', async () => {
    await assert.rejects(local(`${base}/huge`), ResponseTooLargeError);
    assert.ok(bytesSent < 8 * 1024 * 1024, `the server got to send ${bytesSent} bytes`);
    await assert.rejects(local(`${base}/declared-huge`), /answered more than 65536 bytes/);
  });

  it('follows no redirect: the 3xx is the answer', async () => {
    const response = await local(`${base}/redirect`);
    assert.equal(response.status, 302);
  });

  it('gives up at its deadline with a TimeoutError', async () => {
    const impatient = boundedFetch({ maxBytes: 1024, timeoutMs: 500, allowPrivateNetwork: true });
    await assert.rejects(impatient(`${base}/silent`), { name: 'TimeoutError' });
  });

  it('gives up at its deadline when the body trickles in after fast headers', async () => {
    const impatient = boundedFetch({ maxBytes: 1024, timeoutMs: 500, allowPrivateNetwork: true });
    await assert.rejects(impatient(`${base}/trickle`), { name: 'TimeoutError' });
  });

  it('sends method, headers and body as fetch does', async () => {
    const response = await local(`${base}/echo`, { method: 'POST', body: new URLSearchParams({ a: '1' }) });
    assert.deepEqual(await response.json(), { method: 'POST', body: 'a=1' });
  });

  it('answers an error, never crashes, on statuses and reason phrases a Response cannot hold', async () => {
    const raw = createNetServer((socket) => {
      socket.once('data', (request) => {
        const path = request.toString().split(' ')[1];
        const status = { '/205': '205 Reset Content', '/999': '999 Weird', '/101': '101 Switching', '/del': '200 O\x7fK' }[path];
        socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi`);
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const at = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
    try {
      assert.equal((await local(`${at}/205`)).status, 205, 'a 205 has no body, whatever the server sent');
      await assert.rejects(local(`${at}/999`), /answered HTTP 999/);
      await assert.rejects(local(`${at}/101`));
      assert.equal((await local(`${at}/del`)).status, 200, 'the reason phrase is not kept');
    } finally {
      raw.close();
    }
  });

  it('never lends a socket opened for a fetch allowed private addresses to one that is not', async () => {
    const named = `http://localhost:${new URL(base).port}`;
    assert.equal((await local(`${named}/echo`, { method: 'POST', body: 'x' })).status, 200);
    const strict = boundedFetch({ maxBytes: 1024, timeoutMs: 1000 });
    await assert.rejects(strict(`${named}/echo`, { method: 'POST', body: 'y' }), PrivateAddressError);
  });

  it('refuses loopback, private and link-local hosts unless allowed, by literal and by name', async () => {
    const strict = boundedFetch({ maxBytes: 1024, timeoutMs: 1000 });
    await assert.rejects(strict(`${base}/echo`), PrivateAddressError);
    await assert.rejects(strict('http://169.254.169.254/latest/meta-data/'), PrivateAddressError);
    await assert.rejects(strict(`http://localhost:${new URL(base).port}/echo`), PrivateAddressError);
    for (const address of ['10.1.2.3', '172.20.0.1', '192.168.1.1', '127.0.0.1', '169.254.169.254', '::1', '[::1]', 'fd00::1', 'fe80::1']) {
      assert.ok(isPrivateAddress(address), address);
    }
    assert.ok(isPrivateAddress('::ffff:10.0.0.1'));
    for (const address of ['198.18.0.1', '192.0.0.192', '64:ff9b::a00:1', '2002:a00:1::1', '::7f00:1', '224.0.0.1']) {
      assert.ok(isPrivateAddress(address), address);
    }
    for (const address of ['8.8.8.8', '2606:4700::1111', 'example.com']) assert.ok(!isPrivateAddress(address), address);
  });
});
