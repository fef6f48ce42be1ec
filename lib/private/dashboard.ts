/**
 * The registry's CloudWatch dashboard `<namePrefix>`: API requests, errors and latency, function errors, the health
 * check's metrics, and Logs Insights tables of tokens by client and connection health. Its body is produced at synth,
 * so the connections function (created with the first connection) gets its widgets too.
 */
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { Lazy } from 'cdktf';
import type { Construct } from 'constructs';
import { HEALTH_METRIC_DIMENSION, HEALTH_METRIC_NAMESPACE, HEALTH_METRICS } from '../../lambdas/shared/health-signals';
import type { AlarmedRegistry } from './alarms';
import type { RegistryFunction } from './registry-function';

/** Logs Insights queries of the dashboard (the README shows them too); `parse` works whatever prefix Lambda adds to a line. */
export const LOGS_INSIGHTS_QUERIES = {
  tokensByClient:
    'filter @message like /"msg":"token_issued"/ | parse @message \'"client_id":"*"\' as client_id ' +
    '| stats count(*) as tokens by client_id | sort tokens desc | limit 50',
  deniedByClient:
    'filter @message like /"msg":"token_denied"/ | parse @message \'"client_id":"*"\' as client_id ' +
    '| parse @message \'"error":"*"\' as error | stats count(*) as denied by client_id, error | sort denied desc | limit 50',
  connectionEvents:
    'filter @message like /"msg":"connection_(health_changed|disconnected)"/ | parse @message \'"msg":"*"\' as event ' +
    '| parse @message \'"connection":"*"\' as connection | parse @message \'"to":"*"\' as to ' +
    '| display @timestamp, event, connection, to | sort @timestamp desc | limit 50',
} as const;

export interface DashboardParts extends AlarmedRegistry {
  readonly region: string;
  /** The connections function, once the registry has one. */
  readonly connectionsFunction: () => RegistryFunction | undefined;
}

const logGroupOf = (fn: RegistryFunction): string => `/aws/lambda/${fn.function.functionName}`;

/** The dashboard, in `scope` (the registry). */
export function registryDashboard(scope: Construct, id: string, parts: DashboardParts): CloudwatchDashboard {
  return new CloudwatchDashboard(scope, id, {
    dashboardName: parts.namePrefix,
    dashboardBody: Lazy.stringValue({ produce: () => JSON.stringify({ widgets: dashboardWidgets(parts) }) }),
  });
}

/** The widgets, two a row (12 units wide each). */
export function dashboardWidgets(parts: DashboardParts): object[] {
  const { region } = parts;
  const api = ['ApiId', parts.apiId, 'Stage', parts.stageName];
  const functions = [parts.authorizationServer, parts.rotationFunction, parts.connectionsFunction()].filter(
    (fn): fn is RegistryFunction => fn !== undefined,
  );
  const health = [HEALTH_METRIC_NAMESPACE, HEALTH_METRICS.overdueRotations, HEALTH_METRIC_DIMENSION, parts.namePrefix];
  const metric = (title: string, metrics: unknown[][], extra: object = {}) => ({
    type: 'metric',
    properties: { title, region, metrics, period: 300, view: 'timeSeries', stacked: false, ...extra },
  });
  const logs = (title: string, query: string, groups: readonly RegistryFunction[]) => ({
    type: 'log',
    properties: { title, region, view: 'table', query: `${groups.map((fn) => `SOURCE '${logGroupOf(fn)}'`).join(' | ')} | ${query}` },
  });
  const widgets: object[] = [
    metric('Requests', [
      ['AWS/ApiGateway', 'Count', ...api, { stat: 'Sum' }],
      ['AWS/ApiGateway', '4xx', ...api, { stat: 'Sum' }],
      ['AWS/ApiGateway', '5xx', ...api, { stat: 'Sum' }],
    ]),
    metric('Latency (ms)', [
      ['AWS/ApiGateway', 'Latency', ...api, { stat: 'p50' }],
      ['AWS/ApiGateway', 'Latency', ...api, { stat: 'p99' }],
    ]),
    logs('Tokens by client', LOGS_INSIGHTS_QUERIES.tokensByClient, [parts.authorizationServer]),
    logs('Refusals by client', LOGS_INSIGHTS_QUERIES.deniedByClient, [parts.authorizationServer]),
    metric(
      'Function errors and throttles',
      functions.flatMap((fn) => [
        ['AWS/Lambda', 'Errors', 'FunctionName', fn.function.functionName, { stat: 'Sum' }],
        ['AWS/Lambda', 'Throttles', 'FunctionName', fn.function.functionName, { stat: 'Sum' }],
      ]),
    ),
    metric(
      'Rotations and issuer',
      [
        [
          'AWS/Lambda',
          'Invocations',
          'FunctionName',
          parts.rotationFunction.function.functionName,
          { stat: 'Sum', label: 'rotation runs' },
        ],
        [...health, { stat: 'Maximum', label: 'overdue rotations' }],
        [HEALTH_METRIC_NAMESPACE, HEALTH_METRICS.issuerUnavailable, HEALTH_METRIC_DIMENSION, parts.namePrefix, { stat: 'Maximum' }],
      ],
      { period: 3600 },
    ),
  ];
  const connections = parts.connectionsFunction();
  if (connections) widgets.push(logs('Connection health and disconnections', LOGS_INSIGHTS_QUERIES.connectionEvents, [connections]));
  return widgets.map((widget, i) => ({ ...widget, x: (i % 2) * 12, y: Math.floor(i / 2) * 6, width: 12, height: 6 }));
}
