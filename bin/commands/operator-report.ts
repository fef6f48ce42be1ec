/**
 * The operator's picture of one registry (what `status` prints and the local dashboard shows): every client with its
 * secret's timeline, the signing keys, the routes, the sign-in upstream and every connection's health per subject.
 * Built from the manifest, the secret store and the state table; it holds no secret, key material or token.
 */
import { recentRegistrations } from '../../lambdas/authorization-server/endpoints/register';
import { DATA_TARGETS } from '../../lambdas/shared/data-routes';
import {
  GATEWAY_JWKS_CACHE_SECS,
  keyLeadSecs,
  loadKeyRing,
  longestAccessTokenTtlSecs,
  signingKeyAt,
  stopsSigningAt,
  storedRingValue,
  type KeyRing,
} from '../../lambdas/shared/key-schedule';
import type { RegistryManifest } from '../../lambdas/shared/manifest';
import { mcpServerUrl, protectedResourceMetadataPath } from '../../lambdas/shared/manifest-queries';
import type { SecretStore, StateStore } from '../../lambdas/shared/ports';
import { connectionPath } from '../../lambdas/shared/routes';
import { readDataRecords } from '../local/local-data-routes';
import type { ConnectionHealthRow } from '../shared/connection-health';
import { table } from '../shared/text-table';
import { cliInvocation } from './invocation';

// Where other commands and tests have always found it.
export type { ConnectionHealthRow };

/** A client's shared secret as the store holds it: when the current one was made, when the next is due, the overlap. */
export interface SecretTimeline {
  /** Whether the secret has a value yet (deployed: after the first apply's bootstrap). */
  readonly hasValue: boolean;
  /** When the current secret was created (first value or last rotation), epoch seconds. */
  readonly currentSince?: number;
  /** Whether a rotation happened (an AWSPREVIOUS version exists). */
  readonly rotated: boolean;
  /** When the next scheduled rotation is due, epoch seconds (`currentSince` + the rotation period). */
  readonly nextRotationAt?: number;
  /** Until when the previous secret still authenticates, epoch seconds; absent when it no longer does. */
  readonly previousValidUntil?: number;
}

export interface ClientRow {
  readonly name: string;
  readonly clientId: string;
  readonly description?: string;
  readonly active: boolean;
  readonly authMethod: string;
  readonly grantTypes: readonly string[];
  readonly scopes: readonly string[];
  readonly audience?: string;
  readonly redirectUris?: readonly string[];
  /** Only for shared-secret clients (`client_secret_basic`, `client_secret_post`). */
  readonly secret?: SecretTimeline;
}

export type KeyState = 'signing' | 'next' | 'retired';

export interface SigningKeyRow {
  readonly kid: string;
  readonly state: KeyState;
  readonly createdAt: number;
  /** Seconds since it was created. */
  readonly ageSecs: number;
  readonly activatesAt: number;
  /** When it stops (or stopped) signing: the next key's activation. */
  readonly stopsSigningAt?: number;
}

export interface SigningKeysReport {
  /** Whether the signing-key secret has a value yet. */
  readonly hasValue: boolean;
  readonly keys: readonly SigningKeyRow[];
  /** When the next rotation (which adds a key) is due, epoch seconds. */
  readonly nextRotationAt?: number;
  /** When a key added by that rotation would start signing, epoch seconds. */
  readonly nextKeyActivatesAt?: number;
  /** A value that cannot be read as a key ring (edited by hand): said, never printed. */
  readonly problem?: string;
}

export interface RouteRow {
  readonly routeKey: string;
  readonly scopes: readonly string[];
  readonly audiences?: readonly string[];
}

export interface McpServerRow {
  readonly name: string;
  readonly path: string;
  readonly scopes: readonly string[];
  readonly url?: string;
  readonly metadataUrl?: string;
}

/** A data route: where it delivers, and (local mode) how many records it holds. */
export interface DataRouteRow {
  readonly routeKey: string;
  readonly scopes: readonly string[];
  /** `SQS SendMessage`, `EventBridge PutEvents (source / detail type)`… */
  readonly target: string;
  /** Records stored so far (local mode only: in AWS they are in the target). */
  readonly records?: number;
}

export interface OperatorReport {
  readonly registry: string;
  readonly namePrefix: string;
  /** `local` (the state files), or the DynamoDB table's name. */
  readonly source: string;
  readonly issuer?: string;
  readonly generatedAt: number;
  readonly clients: readonly ClientRow[];
  readonly signingKeys: SigningKeysReport;
  readonly routes: readonly RouteRow[];
  /** MCP servers: their URL (their tokens' only audience) and RFC 9728 document, when the issuer is known. */
  readonly mcpServers: readonly McpServerRow[];
  /** Dynamic client registration, when open: its bound, and the last day's registrations (newest first). */
  readonly dynamicRegistrations?: {
    readonly perHour: number;
    readonly clients: readonly { readonly clientId: string; readonly name: string; readonly createdAt: number }[];
  };
  readonly dataRoutes: readonly DataRouteRow[];
  readonly userAuthentication?: { readonly issuer: string; readonly clientId: string; readonly secretSet: boolean };
  /** Every connection's health, one row per shared connection and per stored subject (as `status` always printed). */
  readonly connections: readonly ConnectionHealthRow[];
  /** Connection name → whether its credentials (what the provider issued us) are stored. */
  readonly connectionCredentials: Readonly<Record<string, boolean>>;
  /**
   * Connection name → the redirect URI to register at its provider (consent-based connections only); with the issuer
   * unknown (a deployed registry), `<issuer>` stands for it (the `-connection-<Name>-redirect-uri` output has it whole).
   */
  readonly connectionRedirectUris: Readonly<Record<string, string>>;
}

export interface ReportSources {
  readonly secrets: SecretStore;
  /** Every connection's health rows (`collectStatus`). */
  readonly connections: readonly ConnectionHealthRow[];
  /** The registry's state: dynamic registrations of the last day are read from it. */
  readonly state?: StateStore;
  readonly source: string;
  readonly issuer?: string;
  readonly nowMs?: number;
  /** Local mode's data-route records (`localStatePaths(…).data`): the report counts them. */
  readonly dataDir?: string;
}

export async function collectOperatorReport(manifest: RegistryManifest, sources: ReportSources): Promise<OperatorReport> {
  const nowMs = sources.nowMs ?? Date.now();
  const { secrets } = sources;
  const clients = await Promise.all(
    (manifest.clients ?? []).map(async (c): Promise<ClientRow> => ({
      name: c.name,
      clientId: c.clientId,
      ...(c.description ? { description: c.description } : {}),
      active: c.active,
      authMethod: c.authMethod,
      grantTypes: c.grantTypes,
      scopes: c.scopes,
      ...(c.audience ? { audience: c.audience } : {}),
      ...(c.redirectUris ? { redirectUris: c.redirectUris } : {}),
      ...(c.secretId !== undefined
        ? { secret: await secretTimeline(secrets, c.secretId, c.secretRotationDays ?? 90, manifest.secretOverlapSecs, nowMs) }
        : {}),
    })),
  );
  const connectionCredentials: Record<string, boolean> = {};
  for (const c of manifest.connections ?? []) connectionCredentials[c.name] = await hasValue(secrets, c.credentialsSecretId);
  const connectionRedirectUris = Object.fromEntries(
    (manifest.connections ?? [])
      .filter((c) => c.grant === 'authorization_code')
      .map((c) => [c.name, connectionRedirectUri(sources.issuer ?? '<issuer>', c.name)]),
  );
  const ua = manifest.userAuthentication;
  return {
    registry: manifest.registryPath,
    namePrefix: manifest.namePrefix,
    source: sources.source,
    ...(sources.issuer ? { issuer: sources.issuer } : {}),
    generatedAt: Math.floor(nowMs / 1000),
    clients,
    signingKeys: await signingKeys(secrets, manifest, nowMs),
    routes: (manifest.routes ?? []).map((r) => ({
      routeKey: r.routeKey,
      scopes: r.scopes,
      ...(r.audiences ? { audiences: r.audiences } : {}),
      ...(r.resourcePath ? { audiences: [`${sources.issuer ?? '<issuer>'}${r.resourcePath}`] } : {}),
    })),
    mcpServers: (manifest.mcpServers ?? []).map((s) => ({
      name: s.name,
      path: s.path,
      scopes: s.scopes,
      ...(sources.issuer
        ? { url: mcpServerUrl(sources.issuer, s), metadataUrl: `${sources.issuer}${protectedResourceMetadataPath(s)}` }
        : {}),
    })),
    ...(manifest.dynamicClientRegistration
      ? {
          dynamicRegistrations: {
            perHour: manifest.dynamicClientRegistration.registrationsPerHour,
            clients: sources.state ? await recentRegistrations(sources.state, nowMs) : [],
          },
        }
      : {}),
    dataRoutes: (manifest.dataRoutes ?? []).map((r) => ({
      routeKey: r.routeKey,
      scopes: r.scopes,
      target: DATA_TARGETS[r.target.kind].service + (r.target.source ? ` (${r.target.source} / ${r.target.detailType})` : ''),
      ...(sources.dataDir !== undefined ? { records: readDataRecords(sources.dataDir, r.routeKey).length } : {}),
    })),
    ...(ua ? { userAuthentication: { issuer: ua.issuer, clientId: ua.clientId, secretSet: await hasValue(secrets, ua.secretId) } } : {}),
    connections: sources.connections,
    connectionCredentials,
    connectionRedirectUris,
  };
}

async function hasValue(secrets: SecretStore, secretId: string): Promise<boolean> {
  return (await secrets.getSecretVersion(secretId, 'AWSCURRENT')) !== undefined;
}

async function secretTimeline(
  secrets: SecretStore,
  secretId: string,
  rotationDays: number,
  overlapSecs: number,
  nowMs: number,
): Promise<SecretTimeline> {
  const [current, previous] = await Promise.all([
    secrets.getSecretVersion(secretId, 'AWSCURRENT'),
    secrets.getSecretVersion(secretId, 'AWSPREVIOUS'),
  ]);
  if (!current) return { hasValue: false, rotated: false };
  const since = Math.floor(current.createdAt.getTime() / 1000);
  const overlapEnd = since + overlapSecs;
  return {
    hasValue: true,
    currentSince: since,
    rotated: previous !== undefined,
    nextRotationAt: since + rotationDays * 86_400,
    ...(previous && overlapEnd > nowMs / 1000 ? { previousValidUntil: overlapEnd } : {}),
  };
}

async function signingKeys(secrets: SecretStore, manifest: RegistryManifest, nowMs: number): Promise<SigningKeysReport> {
  const nowSecs = Math.floor(nowMs / 1000);
  if (!manifest.signingKeySecretId) return { hasValue: false, keys: [] };
  const current = await secrets.getSecretVersion(manifest.signingKeySecretId, 'AWSCURRENT');
  if (!current) return { hasValue: false, keys: [] };
  let ring: KeyRing | undefined;
  try {
    ring = await loadKeyRing(secrets, manifest.signingKeySecretId);
  } catch {
    ring = undefined;
  }
  if (!ring) return { hasValue: true, keys: [], problem: `the value of ${manifest.signingKeySecretId} is not a key ring` };
  const signer = signingKeyAt(ring, nowSecs);
  const keys = ring.keys.map((key): SigningKeyRow => {
    const stops = stopsSigningAt(ring, key);
    const state: KeyState = key === signer ? 'signing' : key.activatesAt > nowSecs ? 'next' : 'retired';
    return {
      kid: String(key.jwk.kid ?? '?'),
      state,
      createdAt: key.createdAt,
      ageSecs: Math.max(0, nowSecs - key.createdAt),
      activatesAt: key.activatesAt,
      ...(stops !== undefined ? { stopsSigningAt: stops } : {}),
    };
  });
  const order: Record<KeyState, number> = { signing: 0, next: 1, retired: 2 };
  keys.sort((a, b) => order[a.state] - order[b.state] || a.activatesAt - b.activatesAt);
  const period = manifest.signingKeyRotationDays * 86_400;
  const nextRotationAt = storedRingValue(current).createdAtSecs + period;
  // What a rotation at nextRotationAt would schedule (the same lead the rotation function uses, at its smallest).
  const lead = keyLeadSecs({
    rotationPeriodSecs: period,
    prePublishSecs: GATEWAY_JWKS_CACHE_SECS,
    longestTokenTtlSecs: longestAccessTokenTtlSecs(manifest),
  });
  return { hasValue: true, keys, nextRotationAt, nextKeyActivatesAt: nextRotationAt + lead };
}

// --- text ------------------------------------------------------------------------------------------------------------

export const isoSecs = (secs: number): string => new Date(secs * 1000).toISOString().replace('.000Z', 'Z');

/** "in 5m", "2h ago". */
export function relativeTo(secs: number, nowSecs: number): string {
  const delta = Math.round(secs - nowSecs);
  const abs = Math.abs(delta);
  const span =
    abs >= 86_400
      ? `${Math.floor(abs / 86_400)}d`
      : abs >= 3600
        ? `${Math.floor(abs / 3600)}h`
        : abs >= 60
          ? `${Math.floor(abs / 60)}m`
          : `${abs}s`;
  return delta >= 0 ? `in ${span}` : `${span} ago`;
}

/** The redirect URI of a consent-based connection: what its app registration at the provider asks for first. */
export const connectionRedirectUri = (issuer: string, connection: string): string =>
  `${issuer.replace(/\/+$/, '')}${connectionPath(connection, 'callback')}`;

/** The lines of `status` under the connections table: each consent-based connection's redirect URI. */
export function formatRedirectUris(report: Pick<OperatorReport, 'connectionRedirectUris'>): string {
  return Object.entries(report.connectionRedirectUris)
    .map(([name, uri]) => `redirect URI of ${name} (register it at the provider): ${uri}\n`)
    .join('');
}

/** The clients, signing keys, routes and sign-in sections of `status` (the connections table follows them). */
export function formatRegistrySections(report: OperatorReport): string {
  const now = report.generatedAt;
  const when = (secs: number | undefined) => (secs === undefined ? '-' : `${isoSecs(secs)} (${relativeTo(secs, now)})`);
  const lines: string[] = ['', 'clients'];
  lines.push(
    ...table(
      ['CLIENT', 'CLIENT ID', 'ACTIVE', 'AUTH', 'GRANTS', 'SECRET SINCE', 'NEXT ROTATION', 'PREVIOUS SECRET'],
      report.clients.map((c) => [
        c.name,
        c.clientId,
        c.active ? 'yes' : 'NO',
        c.authMethod,
        c.grantTypes.join(','),
        c.secret
          ? c.secret.hasValue
            ? `${when(c.secret.currentSince)}${c.secret.rotated ? ' rotated' : ''}`
            : 'no value yet'
          : 'no secret',
        c.secret ? when(c.secret.nextRotationAt) : '-',
        c.secret?.previousValidUntil !== undefined ? `works until ${when(c.secret.previousValidUntil)}` : '-',
      ]),
    ).map((l) => `  ${l}`),
  );
  lines.push('', 'signing keys');
  const keys = report.signingKeys;
  if (keys.problem) lines.push(`  ${keys.problem}`);
  else if (!keys.hasValue) lines.push(`  no key yet (the first apply, or \`${cliInvocation().dev}\`, creates them)`);
  else {
    lines.push(
      ...table(
        ['KID', 'STATE', 'AGE', 'SIGNS FROM', 'SIGNS UNTIL'],
        keys.keys.map((k) => [
          k.kid,
          k.state,
          relativeTo(k.createdAt, now).replace(' ago', ''),
          when(k.activatesAt),
          when(k.stopsSigningAt),
        ]),
      ).map((l) => `  ${l}`),
    );
    lines.push(`  next rotation ${when(keys.nextRotationAt)}; the key it adds signs from ${when(keys.nextKeyActivatesAt)}`);
  }
  if (report.routes.length) {
    lines.push('', 'routes');
    lines.push(
      ...table(
        ['ROUTE', 'SCOPES'],
        report.routes.map((r) => [r.routeKey, r.scopes.join(' ')]),
      ).map((l) => `  ${l}`),
    );
  }
  if (report.mcpServers.length) {
    lines.push('', 'MCP servers (tokens must name the server URL as resource: it is their only audience)');
    lines.push(
      ...table(
        ['MCP SERVER', 'URL', 'SCOPES', 'RFC 9728 METADATA'],
        report.mcpServers.map((s) => [s.name, s.url ?? s.path, s.scopes.join(' '), s.metadataUrl ?? '-']),
      ).map((l) => `  ${l}`),
    );
  }
  if (report.dynamicRegistrations) {
    const { perHour, clients } = report.dynamicRegistrations;
    lines.push('', `dynamic client registration: open (at most ${perHour} per hour); last 24 hours: ${clients.length}`);
    if (clients.length) {
      lines.push(
        ...table(
          ['REGISTERED CLIENT', 'CLIENT ID', 'REGISTERED'],
          clients.map((c) => [c.name, c.clientId, `${isoSecs(c.createdAt)} (${relativeTo(c.createdAt, now)})`]),
        ).map((l) => `  ${l}`),
      );
    }
  }
  if (report.dataRoutes.length) {
    lines.push('', 'data routes');
    lines.push(
      ...table(
        ['ROUTE', 'SCOPES', 'DELIVERS TO', 'RECORDS'],
        report.dataRoutes.map((r) => [
          r.routeKey,
          r.scopes.join(' '),
          r.target,
          r.records === undefined ? '- (see the target)' : String(r.records),
        ]),
      ).map((l) => `  ${l}`),
    );
  }
  if (report.userAuthentication) {
    const ua = report.userAuthentication;
    lines.push('', `user sign-in at ${ua.issuer} as client ${ua.clientId}: upstream secret ${ua.secretSet ? 'set' : 'NOT SET'}`);
  }
  return `${lines.join('\n')}\n`;
}
