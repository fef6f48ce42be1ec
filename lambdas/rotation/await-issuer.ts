/**
 * The last step before Terraform creates the JWT authorizers: API Gateway reads `{issuer}/.well-known/openid-configuration`
 * (and then the JWKS) when an authorizer is created or updated, and refuses one whose issuer does not answer. The
 * `$default` stage deploys new routes asynchronously, and a custom domain needs its DNS record, so "created" is not
 * "answering": Terraform invokes the rotation function with `{"action":"await-issuer","issuer":…}` and this polls until
 * the issuer serves both documents (a key in the JWKS), or fails the apply saying what is missing.
 */
import { routePath, SERVER_ROUTES } from '../shared/routes';
import { isActionEvent } from './action-event';

export interface AwaitIssuerEvent {
  readonly action: 'await-issuer';
  readonly issuer: string;
  /** With a custom domain whose DNS is the operator's: the record to create (name → API Gateway's target). */
  readonly dnsRecord?: { readonly name: string; readonly target: string };
}

export interface AwaitIssuerResult {
  readonly issuer: string;
  readonly attempts: number;
  readonly waitedMs: number;
}

export const isAwaitIssuerEvent = isActionEvent<AwaitIssuerEvent>('await-issuer');

/**
 * Terraform waits for this invocation on one HTTP connection that carries no byte until the answer, so the check
 * must end well before an idle connection is cut between the deploying machine and Lambda: 60 to 120 s at many
 * proxies and load balancers, 350 s at an AWS NAT gateway. It stops polling after 30 s (a stage deploys new routes
 * in seconds; alias records exist, in sync, before it runs) and fails the apply saying why: applying again resumes.
 */
export const AWAIT_ISSUER_DEADLINE_MS = 30_000;
const POLL_INTERVAL_MS = 3_000;
/** Each document is small; a slow or huge answer is a problem, not something to wait out. */
const REQUEST_TIMEOUT_MS = 5_000;
/**
 * The longest the check runs: a poll may start just before the deadline and wait out both documents' timeouts,
 * 30 + 2 × 5 = 40 s (plus the function's start): well under a 60 s idle cut-off.
 */
export const AWAIT_ISSUER_BOUND_MS = AWAIT_ISSUER_DEADLINE_MS + 2 * REQUEST_TIMEOUT_MS;

export async function awaitIssuer(
  event: AwaitIssuerEvent,
  deps: { fetch?: typeof fetch; sleep?: (ms: number) => Promise<void>; clock?: () => number; deadlineMs?: number } = {},
): Promise<AwaitIssuerResult> {
  const issuer = typeof event.issuer === 'string' ? event.issuer.replace(/\/+$/, '') : '';
  if (!/^https?:\/\//.test(issuer)) throw new Error(`await-issuer: issuer must be an http(s) URL, got ${JSON.stringify(event.issuer)}`);
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const deadline = started + (deps.deadlineMs ?? AWAIT_ISSUER_DEADLINE_MS);
  for (let attempts = 1; ; attempts++) {
    const problem = await issuerProblem(issuer, doFetch);
    if (problem === undefined) return { issuer, attempts, waitedMs: clock() - started };
    if (clock() + POLL_INTERVAL_MS > deadline) {
      throw new Error(
        `the issuer ${issuer} did not answer as API Gateway needs before creating the JWT authorizer ` +
          `(${problem}) within ${Math.round((clock() - started) / 1000)} s. ${nextStep(event)}`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** Until an apply gets past this check, the registry has no destroy guard: Terraform creates the guard last. */
const UNGUARDED = ' Until an apply completes, the registry has no destroy guard (it is created last): a destroy meanwhile deletes it.';

/** What the operator does before applying again. */
function nextStep({ dnsRecord }: AwaitIssuerEvent): string {
  if (!dnsRecord) return `Apply again (with a custom domain, check its alias records first).${UNGUARDED}`;
  return (
    `Create the DNS record ${dnsRecord.name} CNAME ${dnsRecord.target} (or alias A/AAAA records to it), ` +
    'wait until it resolves, then apply again. A resolver that looked the name up before the record existed may keep ' +
    "answering that it does not exist for the zone's negative-caching TTL (the SOA record's minimum field), so an " +
    `apply right after creating the record may stop here again: wait out that TTL.${UNGUARDED}`
  );
}

/** What is still wrong with the issuer's discovery document or JWKS, or `undefined` when both answer correctly. */
export async function issuerProblem(issuer: string, doFetch: typeof fetch): Promise<string | undefined> {
  const discoveryUrl = `${issuer}${routePath(SERVER_ROUTES.openidConfiguration)}`;
  const discovery = await getJson(discoveryUrl, doFetch);
  if (typeof discovery === 'string') return discovery;
  const announced = (discovery as { issuer?: unknown; jwks_uri?: unknown }) ?? {};
  if (announced.issuer !== issuer) return `${discoveryUrl} announces issuer ${JSON.stringify(announced.issuer)}`;
  if (typeof announced.jwks_uri !== 'string') return `${discoveryUrl} has no jwks_uri`;
  const jwks = await getJson(announced.jwks_uri, doFetch);
  if (typeof jwks === 'string') return jwks;
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) return `${announced.jwks_uri} publishes no key`;
  return undefined;
}

/** The parsed JSON body of a 200 answer, or a string saying why there is none. */
async function getJson(url: string, doFetch: typeof fetch): Promise<unknown> {
  try {
    const response = await doFetch(url, { redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (response.status !== 200) return `${url} answered HTTP ${response.status}`;
    return await response.json();
  } catch (err) {
    // `fetch failed` says little: the cause's code does (ENOTFOUND: the name does not resolve).
    const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
    return `${url} could not be read: ${err instanceof Error ? err.message : String(err)}${typeof code === 'string' ? ` (${code})` : ''}`;
  }
}
