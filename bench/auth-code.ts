/**
 * User-delegated grants at the token endpoint, in-process: authorization-code redemption (code + PKCE verifier +
 * client_secret_basic → access token and a new refresh-token family) and refresh-token rotation, on the memory store
 * and on DynamoDB semantics (dynalite, in this process). Codes are issued with `issueCode`, as the consent step does,
 * outside the timed part.
 */
import { createHash } from 'node:crypto';
import { createAuthorizationServer, type AuthorizationServer } from '../lambdas/authorization-server/server';
import { issueCode } from '../lambdas/authorization-server/user-grants';
import { rotateSecret } from '../lambdas/rotation/rotation';
import { AwsStateStore } from '../lambdas/shared/adapters/aws-state-store';
import { MemorySecretStore } from '../lambdas/shared/adapters/local-secret-store';
import { MemoryStateStore } from '../lambdas/shared/adapters/local-state-store';
import { ManifestRegistrationStore } from '../lambdas/shared/adapters/manifest-registration-store';
import { parseClientSecretValue } from '../lambdas/shared/client-secret';
import { ACCESS_TOKEN_TTL_SECS, CACHE_TTL_SECS, CLIENT_SECRET_OVERLAP_SECS } from '../lambdas/shared/defaults';
import { createJsonLogger } from '../lambdas/shared/log';
import { CLIENT_ID_TAG, SECRET_KIND_TAG, type ClientRegistration } from '../lambdas/shared/manifest';
import type { StateStore } from '../lambdas/shared/ports';
import { startDynalite } from '../testing/dynalite';
import { tokenEvent } from '../testing/events';
import { measureOps } from './load';

export type BenchStore = 'memory' | 'dynalite';

export interface UserGrantRates {
  /** Authorization codes redeemed per second (one request at a time). */
  readonly redemptionsPerSecond: number;
  /** Refresh tokens rotated per second (one request at a time, each using the previous answer's token). */
  readonly refreshesPerSecond: number;
}

const ISSUER = 'https://bench.example';
const SIGNING_KEY = 'bench/signing-key';
const REDIRECT_URI = 'https://app.bench.example/callback';
const VERIFIER = 'bench-verifier-'.padEnd(64, 'v');
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
const SUB = 'https://login.bench.example|alice';
/** Codes issued per untimed batch. */
const BATCH = 50;

const CLIENT: ClientRegistration = {
  name: 'BenchWeb',
  clientId: 'bench-web',
  grantTypes: ['authorization_code', 'refresh_token'],
  authMethod: 'client_secret_basic',
  scopes: ['incidents.read'],
  accessTokenTtlSecs: ACCESS_TOKEN_TTL_SECS,
  active: true,
  secretId: 'bench/clients/BenchWeb',
  secretRotationDays: 90,
  redirectUris: [REDIRECT_URI],
};

type TokenEvent = Parameters<AuthorizationServer['handle']>[0];

/** A token request that must succeed; returns its JSON body. */
async function token(server: AuthorizationServer, event: TokenEvent): Promise<Record<string, string>> {
  const result = await server.handle(event);
  if (result.statusCode !== 200) throw new Error(`bench token request failed: ${result.body}`);
  return JSON.parse(result.body ?? '{}') as Record<string, string>;
}

/** A started dynalite with the registry's table shape, and its store. */
async function startDynaliteStore(): Promise<{ state: StateStore; close: () => Promise<void> }> {
  const dynamo = await startDynalite('bench-state');
  return { state: new AwsStateStore({ tableName: dynamo.tableName, client: dynamo.client }), close: dynamo.close };
}

/** Operations per second of `redeem` over batches `prepare` makes; only `redeem` is timed, after one warm-up batch. */
async function timedBatches<T>(prepare: () => Promise<T[]>, redeem: (item: T) => Promise<unknown>, durationMs: number): Promise<number> {
  for (const item of await prepare()) await redeem(item);
  let timedMs = 0;
  let operations = 0;
  while (timedMs < durationMs) {
    const batch = await prepare();
    const started = performance.now();
    for (const item of batch) await redeem(item);
    timedMs += performance.now() - started;
    operations += batch.length;
  }
  return operations / (timedMs / 1000);
}

/** Redemption and refresh rates of the authorization server on `store`. */
export async function measureUserGrants(store: BenchStore, { durationMs = 3_000 } = {}): Promise<UserGrantRates> {
  const secrets = new MemorySecretStore();
  secrets.createSecret(SIGNING_KEY, { [SECRET_KIND_TAG]: 'signing-key' });
  secrets.createSecret(CLIENT.secretId!, { [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: CLIENT.clientId });
  const backend = store === 'dynalite' ? await startDynaliteStore() : { state: new MemoryStateStore(), close: async () => undefined };
  await rotateSecret(secrets, SIGNING_KEY, undefined, { state: backend.state });
  await rotateSecret(secrets, CLIENT.secretId!);
  const { client_secret } = parseClientSecretValue((await secrets.getSecretVersion(CLIENT.secretId!, 'AWSCURRENT'))!.value)!;
  const authorization = `Basic ${Buffer.from(`${CLIENT.clientId}:${client_secret}`).toString('base64')}`;

  try {
    const server = createAuthorizationServer({
      config: {
        issuer: ISSUER,
        signingKeySecretId: SIGNING_KEY,
        secretOverlapSecs: CLIENT_SECRET_OVERLAP_SECS,
        scopesSupported: ['incidents.read'],
        cacheTtlSecs: CACHE_TTL_SECS,
      },
      secrets,
      registrations: new ManifestRegistrationStore({ clients: [CLIENT] }),
      state: backend.state,
      log: createJsonLogger(() => undefined),
    });
    const issueCodes = () =>
      Promise.all(
        Array.from({ length: BATCH }, () =>
          issueCode(backend.state, Date.now, {
            clientId: CLIENT.clientId,
            redirectUri: REDIRECT_URI,
            codeChallenge: CHALLENGE,
            scope: 'incidents.read',
            sub: SUB,
          }),
        ),
      );
    const headers = { authorization };
    const redeem = (code: string) =>
      token(
        server,
        tokenEvent({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: VERIFIER }, { headers }),
      );
    const redemptionsPerSecond = await timedBatches(issueCodes, redeem, durationMs);

    let refreshToken = (await redeem((await issueCodes())[0])).refresh_token;
    const refreshesPerSecond = await measureOps(
      async () => {
        const refreshed = await token(server, tokenEvent({ grant_type: 'refresh_token', refresh_token: refreshToken }, { headers }));
        refreshToken = refreshed.refresh_token!;
      },
      { durationMs, warmup: 20 },
    );
    return { redemptionsPerSecond, refreshesPerSecond };
  } finally {
    await backend.close();
  }
}
