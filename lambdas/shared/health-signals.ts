/**
 * What the registry tells its operators, written once for the handlers that emit it and the alarms and dashboard
 * that read it: the EventBridge events of the connections function, and the custom metrics of the scheduled health
 * check (CloudWatch embedded metric format: a log line, no `PutMetricData` permission).
 */

/** The `source` of every event the registry publishes (on the account's default bus). */
export const EVENT_SOURCE = 'oauth-registry';
/** Detail type of a change of a connection's stored health (`connections/token-set-health.ts`). */
export const CONNECTION_HEALTH_DETAIL_TYPE = 'Connection Health Changed';
/** Detail type of a subject disconnected from a connection (`connections/disconnect.ts`). */
export const CONNECTION_DISCONNECTED_DETAIL_TYPE = 'Connection Disconnected';

/** CloudWatch namespace of the registry's own metrics. */
export const HEALTH_METRIC_NAMESPACE = 'OAuthRegistry';
/** The one dimension: the registry's `namePrefix`. */
export const HEALTH_METRIC_DIMENSION = 'Registry';

export const HEALTH_METRICS = {
  /** Rotated secrets of the registry whose last rotation is older than their period plus the margin. */
  overdueRotations: 'OverdueRotations',
  /** 1 when the issuer's discovery document or JWKS did not answer as API Gateway needs, else 0. */
  issuerUnavailable: 'IssuerUnavailable',
} as const;
export type HealthMetric = (typeof HEALTH_METRICS)[keyof typeof HEALTH_METRICS];

/** How often the health check reads the issuer's discovery document and JWKS, in minutes. */
export const ISSUER_CHECK_INTERVAL_MINUTES = 5;
/** How often the health check reads the registry's rotation dates, in hours (ListSecrets: 100 secrets a call). */
export const ROTATION_CHECK_INTERVAL_HOURS = 6;

/**
 * One embedded-metric-format line: CloudWatch Logs turns it into metric values (Lambda writes stdout lines as they
 * are; `console.log` would prefix them with the time and request id, which EMF does not parse).
 */
export function embeddedMetricLine(registry: string, values: Partial<Record<HealthMetric, number>>, now: number): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: HEALTH_METRIC_NAMESPACE,
          Dimensions: [[HEALTH_METRIC_DIMENSION]],
          Metrics: Object.keys(values).map((name) => ({ Name: name, Unit: 'Count' })),
        },
      ],
    },
    [HEALTH_METRIC_DIMENSION]: registry,
    ...values,
  });
}
