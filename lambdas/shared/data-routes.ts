/**
 * Data routes: a protected route whose requests API Gateway sends straight to SQS, EventBridge, Step Functions or
 * Kinesis (an AWS service integration), with no handler. One contract for the constructs (which integration, which
 * limits), local mode (which checks, what it records) and the CLI (`data tail`, `status`).
 */

/** Where a data route's records go. */
export const DATA_TARGET_KINDS = ['queue', 'eventBus', 'stateMachine', 'stream'] as const;
export type DataTargetKind = (typeof DATA_TARGET_KINDS)[number];

/** What each kind of target is, in AWS: the integration subtype, the one IAM action, the service's body limit. */
export const DATA_TARGETS: Readonly<
  Record<DataTargetKind, { readonly subtype: string; readonly action: string; readonly maxBodyBytes: number; readonly service: string }>
> = {
  queue: { subtype: 'SQS-SendMessage', action: 'sqs:SendMessage', maxBodyBytes: 256 * 1024, service: 'SQS SendMessage' },
  eventBus: { subtype: 'EventBridge-PutEvents', action: 'events:PutEvents', maxBodyBytes: 256 * 1024, service: 'EventBridge PutEvents' },
  stateMachine: {
    subtype: 'StepFunctions-StartExecution',
    action: 'states:StartExecution',
    maxBodyBytes: 256 * 1024,
    service: 'Step Functions StartExecution',
  },
  stream: { subtype: 'Kinesis-PutRecord', action: 'kinesis:PutRecord', maxBodyBytes: 1024 * 1024, service: 'Kinesis PutRecord' },
};

/** A data route, as local mode serves it and the CLI reads it (in the manifest's `dataRoutes`). */
export interface DataRouteRegistration {
  /** API Gateway route key, e.g. `POST /v1/incidents`. */
  readonly routeKey: string;
  /** Any-of scopes, as the JWT authorizer's `authorization_scopes`. */
  readonly scopes: readonly string[];
  /** As `RouteRegistration.audiences`: unset, only the registry's own audience. */
  readonly audiences?: readonly string[];
  readonly target: {
    readonly kind: DataTargetKind;
    /** EventBridge only: the event's `Source` and `DetailType`. */
    readonly source?: string;
    readonly detailType?: string;
  };
}

/** The manifest's data routes (`RegistryManifest` extends it). */
export interface ManifestDataRoutes {
  /** Routes API Gateway delivers to an AWS service, with no handler. Absent: none. */
  readonly dataRoutes?: readonly DataRouteRegistration[];
}

/** Who sent a record: from the access token's claims (the authorizer's), never from the request. */
export interface DataProvenance {
  readonly client_id: string;
  /** The token's subject: the client id for client credentials, the user for user-delegated tokens. */
  readonly sub: string;
}

/** One record local mode stores for a data route (what `data tail --local` prints, one JSON document per line). */
export interface DataRecord {
  /** The id the target would answer with (SQS MessageId, EventBridge EventId…); here a UUID. */
  readonly id: string;
  readonly routeKey: string;
  readonly receivedAt: string;
  readonly provenance: DataProvenance;
  /** The request body, parsed. */
  readonly body: unknown;
}

/** Why a data route refuses a request before the target sees it: an HTTP status and a message for people. */
export interface DataRequestProblem {
  readonly status: 400 | 413 | 415;
  readonly message: string;
}

/**
 * Bytes the service counts against its limit for one record: the body and what the route adds to it. SQS counts
 * message attributes (name, type and value); EventBridge the entry's source, detail type and detail (the envelope);
 * Step Functions the input (the envelope); Kinesis the data and the partition key.
 */
export function deliveredBytes(target: DataRouteRegistration['target'], bodyBytes: number, provenance: DataProvenance): number {
  const bytes = (...parts: readonly string[]) => parts.reduce((n, part) => n + Buffer.byteLength(part), 0);
  const envelope = bodyBytes + bytes('{"body":', ',"sub":"', provenance.sub, '","client_id":"', provenance.client_id, '"}');
  switch (target.kind) {
    case 'queue':
      return bodyBytes + bytes('sub', 'String', provenance.sub, 'client_id', 'String', provenance.client_id);
    case 'eventBus':
      return envelope + bytes(target.source ?? '', target.detailType ?? '');
    case 'stateMachine':
      return envelope;
    case 'stream':
      return bodyBytes + bytes(provenance.client_id);
  }
}

/**
 * The checks local mode applies to a data route's request (`Content-Type: application/json`, the target's size limit
 * with what the route adds, JSON): undefined when the request is acceptable. In AWS the HTTP API validates no body.
 */
export function dataRequestProblem(
  target: DataRouteRegistration['target'],
  contentType: string | undefined,
  body: Buffer,
  provenance: DataProvenance,
): DataRequestProblem | undefined {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return { status: 415, message: `Content-Type must be application/json, got ${JSON.stringify(contentType ?? '')}` };
  }
  const { maxBodyBytes, service } = DATA_TARGETS[target.kind];
  const delivered = deliveredBytes(target, body.length, provenance);
  if (delivered > maxBodyBytes) {
    return {
      status: 413,
      message: `body is ${body.length} bytes (${delivered} with the sender's provenance); ${service} takes at most ${maxBodyBytes}`,
    };
  }
  if (body.length === 0) return { status: 400, message: 'body must be a JSON document, got an empty body' };
  try {
    JSON.parse(body.toString('utf8'));
  } catch {
    return { status: 400, message: 'body must be a JSON document (it does not parse)' };
  }
  return undefined;
}

/** `POST /v1/incidents` → `post-v1-incidents`: the file name of a route's local records. */
export const dataRouteSlug = (routeKey: string): string =>
  routeKey
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
