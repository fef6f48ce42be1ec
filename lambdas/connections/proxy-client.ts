/**
 * For your code: `await connectionFetch('Salesforce', '/sobjects/Account')` calls the provider's API through the
 * registry's proxy route (`ANY /connections/<name>/proxy/…`), which adds the connection's bearer token. In AWS the
 * route requires SigV4 (`AWS_IAM`): the request is signed here with node:crypto (no SDK in your bundle) using the
 * caller's credentials (a Lambda's environment by default; pass `credentials` elsewhere, e.g. an ECS task's). The
 * registry's URL comes from `OAUTH_ISSUER`, which `connection.grantProxyAccess(fn)` sets; in local mode
 * (`OAUTH_CONNECTIONS_LOCAL_URL`) the local registry serves the proxy without signing.
 */
import { createHash, createHmac } from 'node:crypto';
import { ENV } from '../shared/names';
import { connectionPath } from '../shared/routes';

/** The proxy's subject header (`SUBJECT_HEADER` of `proxy.ts`, not imported: it would pull the proxy into your bundle). */
export const PROXY_SUBJECT_HEADER = 'x-oauth-registry-subject';

/** AWS credentials to sign with (a Lambda's come from its environment). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface ConnectionFetchOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** The user whose token set to use (`PER_USER` connections), sent as the proxy's subject header. */
  readonly subject?: string;
  /** @default the environment's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN */
  readonly credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  /** @default AWS_REGION */
  readonly region?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default the current time */
  readonly now?: Date;
}

/** The proxy URL of `path` under connection `connection` (`<registry>/connections/<name>/proxy/<path>`). */
export function connectionProxyUrl(connection: string, path: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env[ENV.CONNECTIONS_LOCAL_URL] || env[ENV.ISSUER];
  if (!base) {
    throw new Error(`${ENV.ISSUER} is not set: grant this function the connection's proxy with connection.grantProxyAccess(fn)`);
  }
  const relative = path.replace(/^\/+/, '');
  // A dot segment would leave this connection's proxy (`../Other/proxy/…`): the caller names a path under it, no more.
  if (
    relative
      .split(/[?#]/)[0]
      .split('/')
      .some((segment) => segment === '.' || segment === '..')
  ) {
    throw new Error(`path must stay under the connection's proxy, got ${JSON.stringify(path)}`);
  }
  return `${base.replace(/\/+$/, '')}${connectionPath(connection, 'proxy')}/${relative}`;
}

/** Calls `path` of the provider's API through connection `connection`'s proxy; resolves to the provider's response. */
export async function connectionFetch(connection: string, path: string, options: ConnectionFetchOptions = {}): Promise<Response> {
  const env = options.env ?? process.env;
  const url = connectionProxyUrl(connection, path, env);
  const method = (options.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  if (options.subject !== undefined) headers[PROXY_SUBJECT_HEADER] = options.subject;
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
  if (!env[ENV.CONNECTIONS_LOCAL_URL]) {
    const credentials = await resolveCredentials(options.credentials, env);
    const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) throw new Error('AWS_REGION is not set: pass region to sign the request for the proxy');
    Object.assign(headers, signRequest({ method, url, headers, body, credentials, region, service: 'execute-api', now: options.now }));
  }
  return fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
}

async function resolveCredentials(given: ConnectionFetchOptions['credentials'], env: NodeJS.ProcessEnv): Promise<AwsCredentials> {
  if (typeof given === 'function') return given();
  if (given) return given;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): pass credentials');
  }
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN };
}

export interface SignRequestInput {
  readonly method: string;
  readonly url: string;
  /** Lower-case names; every one is signed. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | undefined;
  readonly credentials: AwsCredentials;
  readonly region: string;
  readonly service: string;
  readonly now?: Date | undefined;
}

/** AWS Signature Version 4: the headers to add (`authorization`, `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token`, `host`). */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const url = new URL(input.url);
  const amzDate = (input.now ?? new Date())
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256Hex(input.body ?? new Uint8Array());
  const added: Record<string, string> = { host: url.host, 'x-amz-content-sha256': payloadHash, 'x-amz-date': amzDate };
  if (input.credentials.sessionToken) added['x-amz-security-token'] = input.credentials.sessionToken;
  const all: Record<string, string> = { ...input.headers, ...added };
  const names = Object.keys(all).sort();
  const canonicalHeaders = names.map((n) => `${n}:${all[n].trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  // From the raw query, not `searchParams`: that decodes `+` as a space, where AWS reads a literal `+` (`%2B`).
  const query = (url.search.slice(1) ? url.search.slice(1).split('&') : [])
    .map((pair) => {
      const at = pair.indexOf('=');
      const [k, v] = at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
      return [escapeUri(decodeLenient(k)), escapeUri(decodeLenient(v))] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalPath = normalizedPath(url.pathname).split('/').map(escapeUri).join('/') || '/';
  const canonicalRequest = [input.method, canonicalPath, query, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(Buffer.from(canonicalRequest))].join('\n');
  let key: Buffer = hmac(`AWS4${input.credentials.secretAccessKey}`, day);
  for (const part of [input.region, input.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return {
    ...added,
    authorization:
      `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, ` + `SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

/** SigV4 normalizes the path of every service but S3: no empty, `.` or `..` segments (RFC 3986 §5.2.4). */
function normalizedPath(pathname: string): string {
  const segments: string[] = [];
  for (const segment of pathname.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = pathname.length > 1 && pathname.endsWith('/') ? '/' : '';
  return `/${segments.join('/')}${segments.length > 0 ? trailing : ''}`;
}

/**
 * `decodeURIComponent`, keeping a malformed value as written (signers and AWS both leave it alone; a path segment
 * that does not decode is looked up as it is).
 */
export function decodeLenient(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** RFC 3986 encoding, as SigV4 wants it. */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
