/**
 * Seeded generators of hostile requests: for every route of the local server, malformed percent-encoding, dot
 * segments, foreign Host and Origin headers, wrong content types, broken Basic and Bearer credentials, truncated and
 * odd JSON, repeated and oversized parameters, cookie junk and requests Node's parser must refuse; and API Gateway
 * events for the handlers in process. The same seed gives the same requests.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { CONNECTION_ROUTES, LOCAL_BROKER_ROUTE, SERVER_ROUTES } from '../lambdas/shared/routes';
import { WEB_REDIRECT_URI } from '../testing/example-app';

/** mulberry32: small, fast, good enough to pick cases. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Picker {
  constructor(readonly random: () => number) {}
  int = (n: number): number => Math.floor(this.random() * n);
  chance = (p: number): boolean => this.random() < p;
  one = <T>(items: readonly T[]): T => items[this.int(items.length)];
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

export interface HttpCase {
  readonly kind: 'http';
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
  /** Whether a web page could have sent it and read the answer (foreign Host, Origin or Sec-Fetch-Site). */
  readonly crossSite: boolean;
}

export interface RawCase {
  readonly kind: 'raw';
  /** Bytes sent as they are on a fresh connection (Node's HTTP parser meets them first). */
  readonly bytes: Buffer;
}

export interface EventCase {
  readonly kind: 'event';
  readonly target: 'authorization-server' | 'connections';
  readonly event: APIGatewayProxyEventV2;
}

export interface BrokerCase {
  readonly kind: 'broker';
  readonly input: unknown;
}

export type FuzzCase = HttpCase | RawCase | EventCase | BrokerCase;

const NAMES = [
  'Salesforce',
  'Api',
  'Nope',
  '%ZZ',
  '%25ZZ',
  '%c0%ae',
  '%00',
  '..',
  '%2e%2e',
  'Sales%0Aforce',
  '__proto__',
  'constructor',
  '%E2%80%A8',
  '%',
  'x'.repeat(3000),
  '%F0%9F%92%A9',
];
const REST = [
  'x',
  'incidents',
  '../../etc/passwd',
  '%2e%2e/%2e%2e/x',
  '%c0%ae%c0%ae/x',
  'a//b',
  '%5c..%5cx',
  'http:%2f%2fevil',
  '%',
  'a;..',
  '%2F',
];
const HOSTILE = [
  '',
  '%ZZ',
  '%',
  '%00',
  '%0d%0a12:00:00.000 info forged',
  'a'.repeat(5000),
  '__proto__',
  'constructor',
  'toString',
  '<script>alert(1)</script>',
  '"\'',
  '%c0%ae',
  '\u2028',
  '1e999',
  '-1',
  '[]',
  '{}',
];
const FAKE_JWT = [
  'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
  'eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLy4uIn0.eyJpc3MiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.c2ln',
  'eyJhbGciOiJIUzI1NiJ9.e30.AAAA',
  'a.b.c',
  '...',
  'eyJ' + 'A'.repeat(9000),
];
const GRANTS = [
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'password',
  'implicit',
  '%ZZ',
  '',
];
const FORM_FIELDS = [
  'grant_type',
  'client_id',
  'client_secret',
  'scope',
  'code',
  'redirect_uri',
  'code_verifier',
  'refresh_token',
  'token',
  'token_type_hint',
  'assertion',
  'client_assertion',
  'client_assertion_type',
  'resource',
  'audience',
  'id',
  'csrf',
  'decision',
];
const QUERY_FIELDS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'state',
  'code_challenge',
  'code_challenge_method',
  'scope',
  'link',
  'code',
  'error',
  'iss',
  'id',
  'subject',
];
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/x-www-form-urlencoded; charset=latin1',
  'garbage',
  '',
];

const routes = [...Object.values(SERVER_ROUTES), ...Object.values(CONNECTION_ROUTES), LOCAL_BROKER_ROUTE, 'GET /v1/hello'];

export class CaseGenerator {
  private readonly p: Picker;
  constructor(
    seed: number,
    private readonly port: number,
    private readonly clientIds: readonly string[],
  ) {
    this.p = new Picker(prng(seed));
  }

  next(): FuzzCase {
    const roll = this.p.random();
    if (roll < 0.04) return this.raw();
    if (roll < 0.16) return this.event();
    if (roll < 0.2) return { kind: 'broker', input: this.brokerInput() };
    return this.http();
  }

  private value(): string {
    const { p } = this;
    if (p.chance(0.4)) return p.one(HOSTILE);
    if (p.chance(0.3)) return p.one([...this.clientIds, 'web-app', WEB_REDIRECT_URI, 'S256', 'plain', 'code', 'openid', 'incidents.read']);
    if (p.chance(0.2)) return p.one(FAKE_JWT);
    return p.bytes(p.int(40)).toString('base64url');
  }

  private params(fields: readonly string[]): string {
    const { p } = this;
    const parts: string[] = [];
    for (let i = p.int(8); i >= 0; i--) {
      const name = p.chance(0.9) ? p.one(fields) : p.one(HOSTILE);
      const value = name === 'grant_type' && p.chance(0.6) ? p.one(GRANTS) : this.value();
      // Most values encoded properly; some raw, so their own `%` and `&` reach the parser as they are.
      parts.push(`${encodeURIComponent(name)}=${p.chance(0.7) ? encodeURIComponent(value) : value.replace(/[\s#]/g, '')}`);
    }
    if (p.chance(0.1)) parts.push('a=%ZZ', 'b=%', '=x', '&&');
    return parts.join('&');
  }

  /** A well-formed authorization request, so the deeper stages run (and store pending sign-ins) too. */
  private authorizeQuery(): string {
    const q = new URLSearchParams({
      client_id: 'web-app',
      redirect_uri: WEB_REDIRECT_URI,
      response_type: 'code',
      state: this.p.bytes(8).toString('hex'),
      code_challenge: this.p.bytes(32).toString('base64url'),
      code_challenge_method: 'S256',
      scope: this.p.one(['incidents.read', 'incidents.read incidents.write', 'admin', '']),
    });
    return q.toString();
  }

  private path(routeKey: string): string {
    const { p } = this;
    const template = routeKey.slice(routeKey.indexOf(' ') + 1);
    let path = template.replace('{name}', p.one(NAMES)).replace('{proxy+}', p.one(REST));
    if (p.chance(0.05)) path = path.replace('/oauth2/', p.one(['/oauth2//', '/OAUTH2/', '/oauth2/%2e/']));
    if (p.chance(0.05)) path = p.one(['/', '/_local/', '/_local/connections/', '/connections/', '/nope', '/.well-known/', '/favicon.ico']);
    const query =
      routeKey === SERVER_ROUTES.authorize && p.chance(0.5) ? this.authorizeQuery() : p.chance(0.5) ? this.params(QUERY_FIELDS) : '';
    return query ? `${path}?${query}` : path;
  }

  private authorization(): string | undefined {
    const { p } = this;
    switch (p.int(7)) {
      case 0:
        return undefined;
      case 1:
        return `Basic ${Buffer.from(`${p.one([...this.clientIds, 'web-app', '%ZZ', ''])}:${this.value()}`).toString('base64')}`;
      case 2:
        return `Basic ${p.one(['!!!', '', '====', 'Og==', 'YTpi:', this.value()])}`;
      case 3:
        return `Bearer ${p.one(FAKE_JWT)}`;
      case 4:
        return p.one(['Bearer', 'Bearer ', 'Digest x', 'basic YTpi', 'Basic  YTpi']);
      default:
        return undefined;
    }
  }

  private body(contentType: string): Buffer | undefined {
    const { p } = this;
    switch (p.int(9)) {
      case 0:
        return undefined;
      case 1:
        return p.bytes(p.int(300));
      case 2:
        return Buffer.from(p.one(['{"subject":"al', '{', 'null', '[]', '42', '"x"', '{"subject":{}}', '{"subject":"alice"}', '{}']));
      case 3:
        return Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`);
      case 4:
        return p.chance(0.1) ? Buffer.alloc(11 * 1024 * 1024, 'a') : Buffer.from(`x=${'a'.repeat(70_000)}`);
      default:
        return Buffer.from(contentType.includes('json') ? JSON.stringify({ subject: this.value() }) : this.params(FORM_FIELDS));
    }
  }

  http(): HttpCase {
    const { p } = this;
    const routeKey = p.one(routes);
    const routeMethod = routeKey.slice(0, routeKey.indexOf(' '));
    const method = p.chance(0.85)
      ? routeMethod === 'ANY'
        ? p.one(['GET', 'POST', 'PUT', 'DELETE'])
        : routeMethod
      : p.one(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
    const ours = `127.0.0.1:${this.port}`;
    const headers: Record<string, string> = {};
    headers.host = p.chance(0.9)
      ? p.one([ours, ours, `localhost:${this.port}`, `[::1]:${this.port}`])
      : p.one(['evil.example:' + this.port, 'evil.example', '127.0.0.1', `127.0.0.1:${this.port + 1}`, '']);
    let crossSite = ![ours, `localhost:${this.port}`, `[::1]:${this.port}`].includes(headers.host);
    if (p.chance(0.25)) {
      headers.origin = p.one([`http://${ours}`, 'http://evil.example', 'null', `http://localhost:${this.port}`, 'https://app.example']);
      if (!headers.origin.endsWith(`:${this.port}`)) crossSite = true;
    }
    if (p.chance(0.15)) {
      headers['sec-fetch-site'] = p.one(['cross-site', 'same-site', 'same-origin', 'none']);
      if (headers['sec-fetch-site'].endsWith('site')) crossSite = true;
    }
    const contentType = p.one(CONTENT_TYPES);
    if (contentType) headers['content-type'] = contentType;
    const authorization = this.authorization();
    if (authorization) headers.authorization = authorization;
    if (p.chance(0.2))
      headers.cookie = p.one(['authz_x=y', 'a', '=;=;', `authz_${'A'.repeat(16)}=${this.value()}`, 'consent=%ZZ', `x=${'c'.repeat(4000)}`]);
    if (p.chance(0.05)) headers['x-forwarded-for'] = '10.0.0.1';
    return { kind: 'http', method, path: this.path(routeKey), headers, body: this.body(contentType), crossSite };
  }

  raw(): RawCase {
    const { p } = this;
    const host = `Host: 127.0.0.1:${this.port}\r\n`;
    const lines = [
      `GET http://evil.example/oauth2/token HTTP/1.1\r\n${host}\r\n`,
      `GET //evil.example/.well-known/jwks.json HTTP/1.1\r\n${host}\r\n`,
      `GET /.well-known/jwks.json HTTP/1.0\r\n\r\n`,
      `GET /\x00 HTTP/1.1\r\n${host}\r\n`,
      `POST /oauth2/token HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\nZZ\r\nxx\r\n0\r\n\r\n`,
      `POST /oauth2/token HTTP/1.1\r\n${host}Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde`,
      `GET / HTTP/1.1\r\n${host}X: ${'a'.repeat(20_000)}\r\n\r\n`,
      `BREW /coffee HTCPCP/1.0\r\n${host}\r\n`,
      `GET /connections/%ZZ/connect HTTP/1.1\r\n${host}\r\n`,
      `GET /connections/Salesforce/proxy/%c0%ae HTTP/1.1\r\n${host}\r\n`,
      `GET /oauth2/authorize?client_id=%0D%0A HTTP/1.1\r\n${host}Cookie: \x7f\r\n\r\n`,
      `GET * HTTP/1.1\r\n${host}\r\n`,
      `CONNECT 127.0.0.1:1 HTTP/1.1\r\n${host}\r\n`,
      `GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`,
    ];
    const text = p.one(lines).replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n');
    return { kind: 'raw', bytes: Buffer.from(text, 'latin1') };
  }

  event(): EventCase {
    const { p } = this;
    const connections = p.chance(0.4);
    const routeKey = connections
      ? p.one(Object.values(CONNECTION_ROUTES))
      : p.one([...Object.values(SERVER_ROUTES), '$default', 'GET /nope']);
    const rawPath = this.path(routeKey.includes(' ') ? routeKey : 'GET /x').split('?')[0];
    const headers: Record<string, string> = {};
    for (let i = p.int(5); i > 0; i--)
      headers[p.one(['authorization', 'Authorization', 'content-type', 'cookie', 'host', 'origin'])] = this.value();
    const isBase64Encoded = p.chance(0.2);
    const body = p.chance(0.7) ? (isBase64Encoded ? p.one(['!!!!', 'YQ', this.value()]) : this.params(FORM_FIELDS)) : undefined;
    const event = {
      version: '2.0',
      routeKey,
      rawPath,
      rawQueryString: p.chance(0.5) ? this.params(QUERY_FIELDS) : '',
      headers,
      cookies: p.chance(0.3) ? [p.one(['a=b', '=', 'authz_x', this.value()])] : undefined,
      pathParameters: p.chance(0.8) ? { name: p.one(NAMES), proxy: p.one(REST) } : undefined,
      body,
      isBase64Encoded,
      requestContext: {
        accountId: 'fuzz',
        apiId: 'fuzz',
        domainName: '127.0.0.1',
        domainPrefix: '127',
        http: { method: routeKey.split(' ')[0] || 'GET', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fuzz' },
        requestId: 'fuzz',
        routeKey,
        stage: '$default',
        time: '',
        timeEpoch: 0,
      },
    } as APIGatewayProxyEventV2;
    return { kind: 'event', target: connections ? 'connections' : 'authorization-server', event };
  }

  private brokerInput(): unknown {
    const { p } = this;
    return p.one([
      { action: 'token', connection: p.one(NAMES) },
      { action: 'token', connection: 'Salesforce', subject: p.one([this.value(), 42, null, {}, ['a']]) },
      { action: p.one(['nope', '', 'status', '__proto__']), connection: 'Api' },
      { action: 'token' },
      null,
      'token',
      [],
      { action: 'token', connection: { toString: 'x' } },
    ]);
  }
}
