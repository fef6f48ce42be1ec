/**
 * The registry's alarms (on by default): one SNS topic (or the user's), CloudWatch alarms on the registry's functions,
 * the API's errors and latency, and the scheduled health check's metrics (issuer, rotation dates), and an EventBridge
 * rule that forwards connection health changes to the topic. Created in a child `Alarms` of the registry; the
 * connections' alarms and rule come with the first connection (`watchConnections`).
 */
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Lazy, Token } from 'cdktf';
import { Construct } from 'constructs';
import {
  CONNECTION_HEALTH_DETAIL_TYPE,
  EVENT_SOURCE,
  HEALTH_METRIC_DIMENSION,
  HEALTH_METRIC_NAMESPACE,
  HEALTH_METRICS,
  ISSUER_CHECK_INTERVAL_MINUTES,
  ROTATION_CHECK_INTERVAL_HOURS,
} from '../../lambdas/shared/health-signals';
import type { AlarmThresholds, RegistryAlarmsOptions } from '../registry-options';
import type { RegistryFunction } from './registry-function';
import { validateIntRange } from './validate';

/** Every threshold with its default (documented on `AlarmThresholds` and in the README). */
export const DEFAULT_ALARM_THRESHOLDS: Required<AlarmThresholds> = {
  functionErrors: 1,
  functionThrottles: 1,
  serverErrorRatePercent: 1,
  latencyP99Ms: 2000,
  rotationMarginDays: 2,
};

/** Stored health values that need a person: consent again, repair the trust, or a provider that keeps failing. */
export const ALARMING_CONNECTION_HEALTH = ['needs_consent', 'needs_trust', 'error'] as const;

const FIVE_MINUTES = 300;

/** What the alarms watch: the registry's parts, by interface. */
export interface AlarmedRegistry {
  readonly namePrefix: string;
  readonly issuer: string;
  readonly apiId: string;
  readonly stageName: string;
  /** `arn:…:cloudwatch:<region>:<account>:alarm:<namePrefix>-*`: the alarms that may publish to the registry's topic. */
  readonly alarmArnPattern: string;
  readonly rotationFunction: RegistryFunction;
  readonly authorizationServer: RegistryFunction;
  readonly tags?: Readonly<Record<string, string>>;
}

/** The alarms of one registry; `alarms` lists every alarm by construct id (tests and the dashboard read it). */
export class RegistryAlarms extends Construct {
  /** The topic every alarm and the connection-health rule notify. */
  public readonly topicArn: string;
  public readonly thresholds: Required<AlarmThresholds>;
  public readonly alarms = new Map<string, CloudwatchMetricAlarm>();
  private readonly registry: AlarmedRegistry;
  private readonly ownTopic?: SnsTopic;
  private readonly topicPublishers: { service: string; sourceArn: string }[] = [];

  constructor(scope: Construct, id: string, registry: AlarmedRegistry, options: RegistryAlarmsOptions = {}) {
    super(scope, id);
    this.registry = registry;
    this.thresholds = alarmThresholds(options.thresholds);
    const tags = registry.tags ? { ...registry.tags } : undefined;

    if (options.topic !== undefined) {
      this.topicArn = options.topic;
    } else {
      // Not encrypted with the registry's key: CloudWatch and EventBridge could only publish to it if the key policy
      // named them, and that policy names the account root alone. Messages carry alarm names, metric values and
      // connection names and subjects, never a secret or token.
      this.ownTopic = new SnsTopic(this, 'Topic', { name: `${registry.namePrefix}-alarms`, tags });
      this.topicArn = this.ownTopic.arn;
      new SnsTopicPolicy(this, 'TopicPolicy', {
        arn: this.ownTopic.arn,
        policy: Lazy.stringValue({ produce: () => this.topicPolicy() }),
      });
    }
    if (options.email !== undefined) {
      if (!Token.isUnresolved(options.email) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(options.email)) {
        throw new Error(`alarms.email must be an email address, got "${options.email}"`);
      }
      new SnsTopicSubscription(this, 'EmailSubscription', { topicArn: this.topicArn, protocol: 'email', endpoint: options.email });
    }

    this.watchFunction('RotationFunction', registry.rotationFunction, { throttles: false });
    this.watchFunction('AuthorizationServer', registry.authorizationServer);
    this.watchApi();
    this.scheduleHealthCheck();
  }

  /** Alarms on the connections function, and the rule forwarding connection health changes of `connectionNames`. */
  public watchConnections(fn: RegistryFunction, connectionNames: () => readonly string[]): void {
    this.watchFunction('Connections', fn);
    const rule = new CloudwatchEventRule(this, 'ConnectionHealthRule', {
      name: `${this.registry.namePrefix}-connection-health`,
      description: `Connection health changes of OAuth registry ${this.registry.namePrefix} that need someone`,
      eventPattern: Lazy.stringValue({ produce: () => JSON.stringify(connectionHealthPattern(connectionNames())) }),
      tags: this.registry.tags ? { ...this.registry.tags } : undefined,
    });
    new CloudwatchEventTarget(this, 'ConnectionHealthTarget', { rule: rule.name, arn: this.topicArn });
    this.topicPublishers.push({ service: 'events.amazonaws.com', sourceArn: rule.arn });
  }

  /** Errors (and throttles) of one registry function. */
  private watchFunction(id: string, fn: RegistryFunction, options: { throttles?: boolean } = {}): void {
    const dimensions = { FunctionName: fn.function.functionName };
    const what = `${id.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()} function`;
    this.alarm(`${id}Errors`, {
      alarmDescription: `The ${what} failed at least ${this.thresholds.functionErrors} time(s) in 5 minutes: read its log group.`,
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions,
      statistic: 'Sum',
      period: FIVE_MINUTES,
      evaluationPeriods: 1,
      threshold: this.thresholds.functionErrors,
    });
    if (options.throttles === false) return;
    this.alarm(`${id}Throttles`, {
      alarmDescription:
        `The ${what} was throttled at least ${this.thresholds.functionThrottles} time(s) in 5 minutes: ` +
        "the account's concurrency is exhausted.",
      namespace: 'AWS/Lambda',
      metricName: 'Throttles',
      dimensions,
      statistic: 'Sum',
      period: FIVE_MINUTES,
      evaluationPeriods: 1,
      threshold: this.thresholds.functionThrottles,
    });
  }

  /**
   * The API's 5xx rate and p99 latency. HTTP APIs publish per `ApiId` and `Stage`; per-route metrics need detailed
   * metrics (billed as custom metrics), so these cover every route of the API, the token endpoint and protected routes.
   */
  private watchApi(): void {
    const dimensions = { ApiId: this.registry.apiId, Stage: this.registry.stageName };
    const apiMetric = (id: string, metricName: string) => ({
      id,
      returnData: false,
      metric: { namespace: 'AWS/ApiGateway', metricName, dimensions, period: FIVE_MINUTES, stat: 'Sum' },
    });
    this.alarm('ServerErrorRate', {
      alarmDescription:
        `More than ${this.thresholds.serverErrorRatePercent}% of the API's requests (token endpoint and protected routes) ` +
        'answered 5xx in 2 of 3 five-minute periods.',
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      threshold: this.thresholds.serverErrorRatePercent,
      metricQuery: [
        apiMetric('errors', '5xx'),
        apiMetric('requests', 'Count'),
        { id: 'rate', label: '5xx (%)', returnData: true, expression: 'IF(requests > 0, 100 * errors / requests, 0)' },
      ],
    });
    this.alarm('LatencyP99', {
      alarmDescription: `The API's p99 latency was above ${this.thresholds.latencyP99Ms} ms for 15 minutes.`,
      namespace: 'AWS/ApiGateway',
      metricName: 'Latency',
      dimensions,
      extendedStatistic: 'p99',
      period: FIVE_MINUTES,
      evaluationPeriods: 3,
      threshold: this.thresholds.latencyP99Ms,
    });
  }

  /**
   * Two EventBridge schedules invoke the rotation function's health check: the issuer every few minutes, the rotation
   * dates every few hours (ListSecrets, 100 secrets a call). Their alarms also notify when the check stops reporting
   * (INSUFFICIENT_DATA), so a deleted schedule or a broken check does not pass for health.
   */
  private scheduleHealthCheck(): void {
    const { namePrefix, issuer, rotationFunction } = this.registry;
    const checks = [
      { id: 'IssuerCheck', rate: `rate(${ISSUER_CHECK_INTERVAL_MINUTES} minutes)`, input: { issuer } },
      {
        id: 'RotationCheck',
        rate: `rate(${ROTATION_CHECK_INTERVAL_HOURS} hours)`,
        input: { rotationMarginDays: this.thresholds.rotationMarginDays },
      },
    ];
    for (const check of checks) {
      const rule = new CloudwatchEventRule(this, `${check.id}Schedule`, {
        name: `${namePrefix}-${check.id.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}`,
        description: `Health check of OAuth registry ${namePrefix}`,
        scheduleExpression: check.rate,
        tags: this.registry.tags ? { ...this.registry.tags } : undefined,
      });
      new CloudwatchEventTarget(this, `${check.id}Target`, {
        rule: rule.name,
        arn: rotationFunction.functionArn,
        input: JSON.stringify({ action: 'health-check', registry: namePrefix, ...check.input }),
      });
      new LambdaPermission(this, `${check.id}Permission`, {
        functionName: rotationFunction.function.functionName,
        action: 'lambda:InvokeFunction',
        principal: 'events.amazonaws.com',
        sourceArn: rule.arn,
      });
    }
    rotationFunction.addToPolicy({
      sid: 'ListRegistrySecretsForHealthCheck',
      // ListSecrets has no resource-level permission; it returns metadata only (names, dates), never a value.
      actions: ['secretsmanager:ListSecrets'],
      resources: ['*'],
    });
    const dimensions = { [HEALTH_METRIC_DIMENSION]: namePrefix };
    this.alarm(
      'IssuerUnavailable',
      {
        alarmDescription:
          `The issuer ${issuer} did not serve its discovery document or JWKS in two checks in a row: API Gateway ` +
          "cannot refresh its keys and clients cannot discover the registry. Read the rotation function's log (issuer_unavailable).",
        namespace: HEALTH_METRIC_NAMESPACE,
        metricName: HEALTH_METRICS.issuerUnavailable,
        dimensions,
        statistic: 'Maximum',
        period: ISSUER_CHECK_INTERVAL_MINUTES * 60,
        evaluationPeriods: 2,
        threshold: 1,
        treatMissingData: 'missing',
      },
      { whenSilent: true },
    );
    this.alarm(
      'RotationOverdue',
      {
        alarmDescription:
          `A secret of the registry has not rotated for its period plus ${this.thresholds.rotationMarginDays} day(s). ` +
          "Read the rotation function's log (rotation_overdue names them) and Secrets Manager's rotation status.",
        namespace: HEALTH_METRIC_NAMESPACE,
        metricName: HEALTH_METRICS.overdueRotations,
        dimensions,
        statistic: 'Maximum',
        period: ROTATION_CHECK_INTERVAL_HOURS * 3600,
        evaluationPeriods: 2,
        datapointsToAlarm: 1,
        threshold: 1,
        treatMissingData: 'missing',
      },
      { whenSilent: true },
    );
  }

  /** One alarm `<namePrefix>-<kebab id>` notifying the topic; `whenSilent` also notifies when its metric stops. */
  private alarm(
    id: string,
    config: Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'comparisonOperator'> & { readonly threshold: number },
    options: { whenSilent?: boolean } = {},
  ): void {
    const alarm = new CloudwatchMetricAlarm(this, id, {
      alarmName: `${this.registry.namePrefix}-${id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      ...config,
      alarmActions: [this.topicArn],
      okActions: [this.topicArn],
      ...(options.whenSilent ? { insufficientDataActions: [this.topicArn] } : {}),
      tags: this.registry.tags ? { ...this.registry.tags } : undefined,
    });
    this.alarms.set(id, alarm);
  }

  /**
   * Publishing by this registry's alarms and its health rule. The account's own principals need no statement here:
   * their IAM policies suffice within the account.
   */
  private topicPolicy(): string {
    const topic = this.ownTopic!.arn;
    return JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'CloudWatchAlarms',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: topic,
          Condition: { ArnLike: { 'aws:SourceArn': this.registry.alarmArnPattern } },
        },
        ...this.topicPublishers.map((p, i) => ({
          Sid: `EventBridgeRule${i || ''}`,
          Effect: 'Allow',
          Principal: { Service: p.service },
          Action: 'sns:Publish',
          Resource: topic,
          Condition: { ArnEquals: { 'aws:SourceArn': p.sourceArn } },
        })),
      ],
    });
  }
}

/** The rule's event pattern: health changes to a state that needs someone, of this registry's connections. */
export function connectionHealthPattern(connectionNames: readonly string[]): object {
  return {
    source: [EVENT_SOURCE],
    'detail-type': [CONNECTION_HEALTH_DETAIL_TYPE],
    detail: { connection: [...connectionNames], to: [...ALARMING_CONNECTION_HEALTH] },
  };
}

/** `thresholds` over the defaults, validated. */
export function alarmThresholds(thresholds: AlarmThresholds = {}): Required<AlarmThresholds> {
  const t = { ...DEFAULT_ALARM_THRESHOLDS, ...thresholds };
  validateIntRange('alarms.thresholds.functionErrors', t.functionErrors, 1, 1_000_000);
  validateIntRange('alarms.thresholds.functionThrottles', t.functionThrottles, 1, 1_000_000);
  validateIntRange('alarms.thresholds.latencyP99Ms', t.latencyP99Ms, 1, 30_000);
  validateIntRange('alarms.thresholds.rotationMarginDays', t.rotationMarginDays, 0, 30);
  if (!Token.isUnresolved(t.serverErrorRatePercent) && !(t.serverErrorRatePercent > 0 && t.serverErrorRatePercent <= 100)) {
    throw new Error(`alarms.thresholds.serverErrorRatePercent must be above 0 and at most 100, got ${t.serverErrorRatePercent}`);
  }
  return t;
}
