/**
 * A route of the registry's HTTP API that delivers each request's JSON body to an SQS queue, an EventBridge bus, a
 * Step Functions state machine or a Kinesis stream, with no handler to write: an API Gateway AWS service integration
 * behind the registry's JWT authorizer, with the sender's `client_id` (and `sub`) taken from the token's claims.
 */
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { DATA_TARGETS, type DataRouteRegistration, type DataTargetKind } from '../lambdas/shared/data-routes';
import { routePath } from '../lambdas/shared/routes';
import type { ScopeLike } from './client-options';
import { policyDocument } from './private/policy-document';
import { ROLE_NAME_PREFIX_MAX } from './private/registry-function';
import { parseAuthorizedRouteKey, requireCallableRoute, routeScopes, vacantRouteScope, validateAudiences } from './private/route-checks';
import { fitName, toKebab } from './private/validate';
import type { IOAuthRegistry } from './registry-interface';

/** An SQS queue to send to (an `SqsQueue`, or any `{ arn, url }`). */
export interface IDataQueue {
  readonly arn: string;
  readonly url: string;
}
/** An EventBridge bus to put events on (a `CloudwatchEventBus`, or any `{ arn, name }`). */
export interface IDataEventBus {
  readonly arn: string;
  readonly name: string;
}
/** A Step Functions state machine to start (an `SfnStateMachine`, or any `{ arn }`). */
export interface IDataStateMachine {
  readonly arn: string;
}
/** A Kinesis data stream to put records on (a `KinesisStream`, or any `{ arn, name }`). */
export interface IDataStream {
  readonly arn: string;
  readonly name: string;
}

/** The `Source` and `DetailType` of the events a route puts on an EventBridge bus (rules match on them). */
export interface DataEventOptions {
  readonly source: string;
  readonly detailType: string;
}

/** What a target gives its route: the integration's request parameters, and the one resource its role may use. */
interface BoundDataTarget {
  readonly resourceArn: string;
  readonly requestParameters: Record<string, string>;
  readonly queue?: SqsQueue;
  readonly deadLetterQueue?: SqsQueue;
}

/**
 * API Gateway mapping expressions: `${…}` inside a string is API Gateway's syntax, so Terraform must not read it
 * (`$${` is Terraform's escape). `claim('client_id')` is the token's claim as the JWT authorizer verified it.
 */
const claim = (name: string): string => `$\${context.authorizer.claims.${name}}`;
const REQUEST_BODY = '$request.body';
/**
 * The body inside an envelope that carries the provenance: `{"body":<the request body>,"sub":…,"client_id":…}`. The
 * body is embedded as sent (HTTP APIs cannot escape it), so `client_id` (our ids: no quote can appear) comes last: a
 * body or `sub` smuggling a `client_id` member of its own comes before it, and a parser keeping the last duplicate
 * (JavaScript's, Jackson's) reads ours. A body that is not JSON makes the envelope invalid, and the service refuses it.
 */
const PROVENANCE_ENVELOPE = `{"body":$\${request.body},"sub":"${claim('sub')}","client_id":"${claim('client_id')}"}`;

/** Where a data route delivers: `DataTarget.queue()`, `.eventBus(bus, { source, detailType })`, `.stateMachine(sm)`, `.stream(s)`. */
export class DataTarget {
  /**
   * SQS `SendMessage`: the body is the message, `client_id` and `sub` are message attributes. Without a queue, the
   * route creates one (SQS-managed encryption, a dead-letter queue after 5 receives, 14 days' retention there).
   */
  public static queue(queue?: IDataQueue): DataTarget {
    return new DataTarget('queue', (route, registry) => {
      const created = queue ? undefined : createdQueue(route, registry);
      const target = queue ?? created!.queue;
      return {
        resourceArn: target.arn,
        requestParameters: {
          QueueUrl: target.url,
          MessageBody: REQUEST_BODY,
          // `sub` first, `client_id` last: see PROVENANCE_ENVELOPE.
          MessageAttributes: JSON.stringify({
            sub: { DataType: 'String', StringValue: claim('sub') },
            client_id: { DataType: 'String', StringValue: claim('client_id') },
          }),
        },
        ...(created ? { queue: created.queue, deadLetterQueue: created.deadLetterQueue } : {}),
      };
    });
  }

  /**
   * EventBridge `PutEvents` on `bus` (default: the account's default bus) with your `source` and `detailType`; the
   * event's `detail` is `{"body":…,"sub":…,"client_id":…}`, so rules can match on the sender.
   */
  public static eventBus(bus: IDataEventBus | undefined, options: DataEventOptions): DataTarget {
    for (const [name, value] of Object.entries({ source: options?.source, detailType: options?.detailType })) {
      if (typeof value !== 'string' || (!Token.isUnresolved(value) && value.trim() === '')) {
        throw new Error(`DataTarget.eventBus: ${name} must be a non-empty string, got ${JSON.stringify(value)}`);
      }
    }
    if (!Token.isUnresolved(options.source) && options.source.startsWith('aws.')) {
      throw new Error(`DataTarget.eventBus: source must not start with "aws." (EventBridge reserves it), got "${options.source}"`);
    }
    return new DataTarget(
      'eventBus',
      (_route, registry) => ({
        resourceArn: bus?.arn ?? registry.regionalArn('events', 'event-bus/default'),
        requestParameters: {
          EventBusName: bus?.name ?? 'default',
          Source: options.source,
          DetailType: options.detailType,
          Detail: PROVENANCE_ENVELOPE,
        },
      }),
      { source: options.source, detailType: options.detailType },
    );
  }

  /** Step Functions `StartExecution` of `stateMachine`; the execution's input is `{"body":…,"sub":…,"client_id":…}`. */
  public static stateMachine(stateMachine: IDataStateMachine): DataTarget {
    requireArn('stateMachine', stateMachine);
    return new DataTarget('stateMachine', () => ({
      resourceArn: stateMachine.arn,
      requestParameters: { StateMachineArn: stateMachine.arn, Input: PROVENANCE_ENVELOPE },
    }));
  }

  /**
   * Kinesis `PutRecord` on `stream`: the body is the record's data and the partition key is the sender's `client_id`
   * (one sender's records stay in order). `sub` cannot travel: a record has no attributes besides its key.
   */
  public static stream(stream: IDataStream): DataTarget {
    requireArn('stream', stream);
    return new DataTarget('stream', () => ({
      resourceArn: stream.arn,
      requestParameters: { StreamName: stream.name, Data: REQUEST_BODY, PartitionKey: claim('client_id') },
    }));
  }

  private constructor(
    /** What kind of target this is. */
    public readonly kind: DataTargetKind,
    private readonly bindTo: (route: Construct, registry: IOAuthRegistry) => BoundDataTarget,
    private readonly event?: DataEventOptions,
  ) {}

  /** @internal The target's resources (a created queue) under `route`, and what the integration needs. */
  public _bind(route: Construct, registry: IOAuthRegistry): BoundDataTarget {
    return this.bindTo(route, registry);
  }

  /** @internal The target as the manifest carries it. */
  public get _registration(): DataRouteRegistration['target'] {
    return { kind: this.kind, ...(this.event ?? {}) };
  }
}

/** What you declare about a data route (`registry.addDataRoute(routeKey, options)`). */
export interface DataRouteOptions {
  /** Where each request's body goes. */
  readonly target: DataTarget;
  /** Any-of scopes: a token needs at least one of them. At least one scope. */
  readonly scopes: readonly ScopeLike[];
  /** As `ProtectedRouteOptions.audiences`. @default the registry's own audience only */
  readonly audiences?: readonly string[];
}

export interface DataRouteProps extends DataRouteOptions {
  readonly registry: IOAuthRegistry;
  /** API Gateway route key `POST /path`, e.g. `POST /v1/incidents`. */
  readonly routeKey: string;
}

/** A `POST` route behind the registry's JWT authorizer whose requests API Gateway delivers to an AWS service. */
export class DataRoute extends Construct {
  public readonly routeKey: string;
  /** The route as local mode serves it (also in the manifest's `dataRoutes`). */
  public readonly registration: DataRouteRegistration;
  /** The API Gateway route. */
  public readonly route: Apigatewayv2Route;
  /** The AWS service integration. */
  public readonly integration: Apigatewayv2Integration;
  /** The role API Gateway assumes for the integration: one action on the target, nothing else. */
  public readonly role: IamRole;
  /** The queue the route created (`DataTarget.queue()` without a queue). */
  public readonly queue?: SqsQueue;
  /** The created queue's dead-letter queue. */
  public readonly deadLetterQueue?: SqsQueue;

  constructor(scope: Construct, id: string, props: DataRouteProps) {
    super(vacantRouteScope(scope, id, props.routeKey), id);
    const { registry, target } = props;
    const { method } = parseAuthorizedRouteKey(props.routeKey);
    const where = `data route "${props.routeKey}"`;
    if (method !== 'POST') throw new Error(`${where}: a data route takes records by POST, got ${method}`);
    if (!(target instanceof DataTarget)) {
      throw new Error(`${where}: target must be a DataTarget (DataTarget.queue(), .eventBus(), .stateMachine(), .stream())`);
    }
    const scopes = routeScopes(where, props.scopes);
    const audiences = props.audiences === undefined ? undefined : validateAudiences(where, props.audiences);
    this.routeKey = props.routeKey;
    this.registration = {
      routeKey: props.routeKey,
      scopes,
      ...(audiences !== undefined ? { audiences } : {}),
      target: target._registration,
    };

    const bound = target._bind(this, registry);
    this.queue = bound.queue;
    this.deadLetterQueue = bound.deadLetterQueue;
    const tags = Object.keys(registry.tags).length > 0 ? { ...registry.tags } : undefined;
    const { subtype, action } = DATA_TARGETS[target.kind];
    this.role = new IamRole(this, 'IntegrationRole', {
      namePrefix: `${fitName(`${registry.namePrefix}-${toKebab(id)}`, ROLE_NAME_PREFIX_MAX - 1)}-`,
      description: `API Gateway delivering ${props.routeKey} of OAuth registry ${registry.namePrefix} (${action})`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'apigateway.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': registry.accountId } },
          },
        ],
      }),
      tags,
    });
    new IamRolePolicy(this, 'IntegrationPolicy', {
      name: 'deliver',
      role: this.role.id,
      policy: policyDocument([{ sid: 'Deliver', actions: [action], resources: [bound.resourceArn] }]),
    });
    this.integration = new Apigatewayv2Integration(this, 'Integration', {
      apiId: registry.api.id,
      description: `${props.routeKey} to ${subtype} (OAuth registry ${registry.namePrefix})`,
      integrationType: 'AWS_PROXY',
      integrationSubtype: subtype,
      credentialsArn: this.role.arn,
      payloadFormatVersion: '1.0',
      requestParameters: bound.requestParameters,
    });
    this.route = new Apigatewayv2Route(this, 'Resource', {
      apiId: registry.api.id,
      routeKey: props.routeKey,
      target: `integrations/${this.integration.id}`,
      authorizationType: 'JWT',
      authorizerId: registry.authorizerFor(audiences).id,
      authorizationScopes: scopes,
    });
    registry.addOutput(this, 'Url', `data-route-${id}-url`, `${registry.issuer}${routePath(props.routeKey)}`, `URL of ${props.routeKey}`);
    if (this.queue) {
      registry.addOutput(this, 'QueueUrl', `data-route-${id}-queue-url`, this.queue.url, `Queue receiving ${props.routeKey}`);
    }
    requireCallableRoute(this, registry, where, scopes, audiences);
    registry.registerDataRoute(this);
  }
}

/**
 * The queue a route creates: SQS-managed server-side encryption (SSE-SQS), not the registry's KMS key, so that the
 * integration role keeps exactly one action (`sqs:SendMessage`, no `kms:GenerateDataKey`) and every consumer reads
 * without a key grant; SQS encrypts at rest either way. Poison messages move to a dead-letter queue after 5 receives.
 */
function createdQueue(route: Construct, registry: IOAuthRegistry): { queue: SqsQueue; deadLetterQueue: SqsQueue } {
  const name = fitName(`${registry.namePrefix}-${toKebab(route.node.id)}`, 76);
  const tags = Object.keys(registry.tags).length > 0 ? { ...registry.tags } : undefined;
  const deadLetterQueue = new SqsQueue(route, 'DeadLetterQueue', {
    name: `${name}-dlq`,
    sqsManagedSseEnabled: true,
    messageRetentionSeconds: 14 * 86_400,
    tags,
  });
  const queue = new SqsQueue(route, 'Queue', {
    name,
    sqsManagedSseEnabled: true,
    maxMessageSize: DATA_TARGETS.queue.maxBodyBytes,
    redrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueue.arn, maxReceiveCount: 5 }),
    tags,
  });
  return { queue, deadLetterQueue };
}

function requireArn(what: string, target: { readonly arn?: unknown } | undefined): void {
  if (!target || typeof target.arn !== 'string') throw new Error(`DataTarget.${what}: pass the ${what} (an object with its arn)`);
}
