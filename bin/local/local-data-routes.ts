/**
 * Local mode's data routes: the same route, the same authorizer, then the checks the target would apply (JSON,
 * `Content-Type: application/json`, the service's size limit) and, instead of SQS, EventBridge, Step Functions or
 * Kinesis, one line per record appended to `<state>/local/data/<route>.jsonl` with its provenance from the token.
 * `data tail --local` and `status` read the same files.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import {
  dataRequestProblem,
  dataRouteSlug,
  type DataRecord,
  type DataRouteRegistration,
  type DataTargetKind,
} from '../../lambdas/shared/data-routes';
import type { RegistryManifest } from '../../lambdas/shared/manifest';
import { routeAudiences } from '../../lambdas/shared/manifest-queries';
import type { Clock } from '../../lambdas/shared/ports';
import { writeGatewayError } from './http-adapter';
import type { AuthorizerDecision, RouteAuthorization } from './jwt-authorizer';
import { routeMatcher } from './route-matcher';

/** The file holding one data route's local records, one JSON document per line. */
export const dataRecordsFile = (dataDir: string, routeKey: string): string => path.join(dataDir, `${dataRouteSlug(routeKey)}.jsonl`);

/** Every record stored for `routeKey`, oldest first; none when nothing was posted yet. */
export function readDataRecords(dataDir: string, routeKey: string): DataRecord[] {
  const file = dataRecordsFile(dataDir, routeKey);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as DataRecord;
      } catch {
        throw new Error(`${file}: line ${i + 1} is not JSON (edited by hand?); remove that line to go on`);
      }
    });
}

/** What the service answers a delivered record with (its fields; local mode answers them as JSON). */
function serviceResponse(kind: DataTargetKind, record: DataRecord, sequence: number): Record<string, unknown> {
  switch (kind) {
    case 'queue':
      return { MessageId: record.id };
    case 'eventBus':
      return { Entries: [{ EventId: record.id }], FailedEntryCount: 0 };
    case 'stateMachine':
      return {
        executionArn: `arn:aws:states:local:000000000000:execution:local:${record.id}`,
        startDate: Date.parse(record.receivedAt) / 1000,
      };
    case 'stream':
      return { SequenceNumber: String(sequence), ShardId: 'shardId-000000000000' };
  }
}

export interface LocalDataRoutes {
  /** Serves the request when it is one of the data routes' and returns true; false otherwise. */
  serve(req: IncomingMessage, res: ServerResponse, body: Buffer, method: string, pathname: string): Promise<boolean>;
}

export function localDataRoutes(options: {
  readonly manifest: RegistryManifest;
  readonly issuer: string;
  readonly dataDir: string;
  readonly authorize: (authorization: string | undefined, demands: RouteAuthorization) => Promise<AuthorizerDecision>;
  readonly clock?: Clock;
}): LocalDataRoutes {
  const { manifest, issuer, dataDir, authorize } = options;
  const clock = options.clock ?? Date.now;
  const routes = (manifest.dataRoutes ?? []).map((route: DataRouteRegistration) => ({
    route,
    match: routeMatcher(route.routeKey),
    demands: { audiences: routeAudiences(manifest, issuer, route), scopes: route.scopes },
  }));
  if (routes.length > 0) mkdirSync(dataDir, { recursive: true });
  let sequence = 0;

  return {
    async serve(req, res, body, method, pathname) {
      const found = routes.find(({ match }) => match(method, pathname));
      if (!found) return false;
      const { route, demands } = found;
      const decision = await authorize(req.headers.authorization, demands);
      if (!decision.allow) {
        writeGatewayError(res, decision.status, decision.message, { 'www-authenticate': decision.wwwAuthenticate });
        return true;
      }
      // Provenance from the verified token only: whatever the body says about its sender is part of the body.
      const provenance = { client_id: decision.claims.client_id ?? '', sub: decision.claims.sub ?? '' };
      const problem = dataRequestProblem(route.target, req.headers['content-type'], body, provenance);
      if (problem) {
        writeGatewayError(res, problem.status, problem.message);
        return true;
      }
      const record: DataRecord = {
        id: randomUUID(),
        routeKey: route.routeKey,
        receivedAt: new Date(clock()).toISOString(),
        provenance,
        body: JSON.parse(body.toString('utf8')) as unknown,
      };
      appendFileSync(dataRecordsFile(dataDir, route.routeKey), `${JSON.stringify(record)}\n`, { mode: 0o600 });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(serviceResponse(route.target.kind, record, ++sequence)));
      return true;
    },
  };
}
