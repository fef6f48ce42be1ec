/**
 * Every document the registry fetches from somewhere it does not control (a client's JWKS, a JWT-bearer issuer's
 * keys, a provider's discovery document and token responses, the proxied API) goes through one `fetch` with limits:
 * a size cap (the body is read up to it, never beyond), a deadline, no redirects (a 3xx is answered as it is), and,
 * unless the URL is opted in, no loopback, private or link-local address (169.254.169.254 is the instance metadata
 * service). The address is checked after DNS resolution, in the socket's own lookup, so a name that resolves to a
 * private address, or changes its answer between a check and the connect, is refused too.
 *
 * It has `fetch`'s signature, so jose (`customFetch`), oauth4webapi (`customFetch`) and the proxy take it as it is;
 * like `fetch`, it rejects a network failure (refused, reset, DNS) with `TypeError('fetch failed')`, the cause attached.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { DOCUMENT_FETCH_TIMEOUT_MS, DOCUMENT_MAX_BYTES } from './defaults';

export interface FetchLimits {
  /** Largest response body accepted, in bytes. */
  readonly maxBytes: number;
  /** Time allowed for the whole exchange, headers and body, in ms. */
  readonly timeoutMs: number;
  /** Accept loopback, private and link-local addresses (local mode; or a URL the operator opted in). @default false */
  readonly allowPrivateNetwork?: boolean;
}

/** Limits of the small JSON documents the registry fetches: key sets, discovery documents, token responses. */
export const DOCUMENT_LIMITS = { maxBytes: DOCUMENT_MAX_BYTES, timeoutMs: DOCUMENT_FETCH_TIMEOUT_MS } as const;

/** The body went past `maxBytes`. */
export class ResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLargeError';
}

/** The host resolves to an address the registry may not reach (see `isPrivateAddress`). */
export class PrivateAddressError extends Error {
  override readonly name = 'PrivateAddressError';
}

const PRIVATE_RANGES = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE_RANGES.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback and IPv4-compatible
  ['64:ff9b::', 96], // NAT64: reaches private IPv4 through a NAT gateway
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE_RANGES.addSubnet(network, prefix, 'ipv6');
}

/**
 * Loopback, private (RFC 1918, RFC 4193, CGNAT), link-local, unspecified, benchmarking, multicast or reserved, or an
 * IPv6 form that reaches IPv4 (NAT64, 6to4, IPv4-compatible); IPv4-mapped IPv6 is judged as IPv4.
 */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  if (mapped) return PRIVATE_RANGES.check(mapped, 'ipv4');
  const family = isIP(bare);
  if (family === 0) return false;
  return PRIVATE_RANGES.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** A `fetch` bounded by `limits`. */
export function boundedFetch(limits: FetchLimits): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`refusing to fetch ${url.protocol} URLs`);
    if (!limits.allowPrivateNetwork && isPrivateAddress(url.hostname)) {
      throw new PrivateAddressError(`refusing to fetch ${url.origin}: a loopback, private or link-local address`);
    }
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    return send(url, request, body, limits);
  };
}

/**
 * Connection pools, one per policy: a socket a fetch that may reach private addresses opened must never serve a fetch
 * that may not (pools are keyed by host and port, not by how the address was checked).
 */
const AGENTS = {
  strict: { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) },
  private: { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) },
};

/** Statuses whose response has no body (Fetch standard's null body statuses). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function send(url: URL, request: Request, body: Buffer | undefined, limits: FetchLimits): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    if (body) headers['content-length'] = String(body.length);
    const lookup: LookupFunction | undefined = limits.allowPrivateNetwork ? undefined : publicOnlyLookup;
    const pool = limits.allowPrivateNetwork ? AGENTS.private : AGENTS.strict;
    const https = url.protocol === 'https:';
    const agent = https ? pool.https : pool.http;
    const req = (https ? httpsRequest : httpRequest)(url, { method: request.method, headers, lookup, agent });
    const fail = (err: Error) => {
      clearTimeout(timer);
      request.signal.removeEventListener('abort', onAbort);
      req.destroy();
      reject(err);
    };
    const timer = setTimeout(() => {
      const err = new Error(`${url.origin} did not answer within ${limits.timeoutMs} ms`);
      err.name = 'TimeoutError';
      fail(err);
    }, limits.timeoutMs);
    const onAbort = () => fail(request.signal.reason instanceof Error ? request.signal.reason : new Error('aborted'));
    if (request.signal.aborted) return onAbort();
    request.signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => fail(fetchError(err)));
    req.on('response', (res: IncomingMessage) => {
      const declared = Number(res.headers['content-length']);
      if (declared > limits.maxBytes) return fail(tooLarge(url, limits));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes) fail(tooLarge(url, limits));
        else chunks.push(chunk);
      });
      res.on('error', (err) => fail(fetchError(err)));
      res.on('end', () => {
        clearTimeout(timer);
        request.signal.removeEventListener('abort', onAbort);
        const status = res.statusCode ?? 502;
        // A status or header `Response` cannot hold is the remote's fault: an error, never a crash.
        if (status < 200 || status > 599) return fail(new Error(`${url.origin} answered HTTP ${status}`));
        const nullBody = NULL_BODY_STATUSES.has(status) || request.method === 'HEAD';
        try {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const one of [value ?? []].flat()) responseHeaders.append(name, one);
          }
          resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
        } catch (err) {
          fail(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.end(body);
  });
}

/**
 * What a socket or DNS error rejects with: as with `fetch`, a `TypeError('fetch failed')` with the error as its cause.
 * Our own refusals pass as they are (a private address arrives here from the socket's lookup).
 */
function fetchError(err: Error): Error {
  if (err instanceof PrivateAddressError || err instanceof ResponseTooLargeError) return err;
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return err;
  return new TypeError('fetch failed', { cause: err });
}

function tooLarge(url: URL, limits: FetchLimits): ResponseTooLargeError {
  return new ResponseTooLargeError(`${url.origin} answered more than ${limits.maxBytes} bytes`);
}

/** `dns.lookup`, refusing every answer that holds a private address (checked at connect time: no rebinding window). */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0);
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused) {
      return callback(new PrivateAddressError(`refusing to connect to ${hostname}: it resolves to ${refused.address}`), '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const [first] = addresses;
    if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
    callback(null, first.address, first.family);
  });
};
