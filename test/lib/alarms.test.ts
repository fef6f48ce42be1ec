/** Synth of the registry's alarms, their topic, the health-check schedules, the connection-health rule and the dashboard. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTH_METRIC_NAMESPACE } from '../../lambdas/shared/health-signals';
import { Provider, type OAuthRegistryProps } from '../../lib';
import { fixture, policyOf, resource, resources, synthJson } from './helpers';

function synthWith(props: OAuthRegistryProps = {}, connections = true): any {
  const f = fixture({ namePrefix: 'reg', ...props });
  f.registry.addExternalClient('Caller', { scopes: ['accounts.read'] });
  if (connections) f.registry.addConnection('Billing', { provider: Provider.discover('https://billing.example') });
  return synthJson(f.stack);
}

const TOPIC_REF = '${aws_sns_topic.Registry_Alarms_Topic_';
const alarmsOf = (tf: any): Record<string, any> => resources(tf, 'aws_cloudwatch_metric_alarm');
const alarmNamed = (tf: any, name: string): any => {
  const found = Object.values(alarmsOf(tf)).filter((a: any) => a.alarm_name === name);
  assert.equal(found.length, 1, `expected one alarm named ${name}, got ${found.length}`);
  return found[0];
};

describe('registry alarms', () => {
  const tf = synthWith();

  it('creates every alarm with its metric, threshold and the topic as its action', () => {
    const expected: Record<string, { namespace?: string; metric?: string; threshold: number; stat?: string }> = {
      'reg-rotation-function-errors': { namespace: 'AWS/Lambda', metric: 'Errors', threshold: 1, stat: 'Sum' },
      'reg-authorization-server-errors': { namespace: 'AWS/Lambda', metric: 'Errors', threshold: 1, stat: 'Sum' },
      'reg-authorization-server-throttles': { namespace: 'AWS/Lambda', metric: 'Throttles', threshold: 1, stat: 'Sum' },
      'reg-connections-errors': { namespace: 'AWS/Lambda', metric: 'Errors', threshold: 1, stat: 'Sum' },
      'reg-connections-throttles': { namespace: 'AWS/Lambda', metric: 'Throttles', threshold: 1, stat: 'Sum' },
      'reg-latency-p99': { namespace: 'AWS/ApiGateway', metric: 'Latency', threshold: 2000 },
      'reg-issuer-unavailable': { namespace: HEALTH_METRIC_NAMESPACE, metric: 'IssuerUnavailable', threshold: 1, stat: 'Maximum' },
      'reg-rotation-overdue': { namespace: HEALTH_METRIC_NAMESPACE, metric: 'OverdueRotations', threshold: 1, stat: 'Maximum' },
      'reg-server-error-rate': { threshold: 1 },
    };
    assert.deepEqual(
      Object.values(alarmsOf(tf))
        .map((a: any) => a.alarm_name)
        .sort(),
      Object.keys(expected).sort(),
    );
    for (const [name, want] of Object.entries(expected)) {
      const alarm = alarmNamed(tf, name);
      assert.equal(alarm.threshold, want.threshold, name);
      assert.equal(alarm.comparison_operator, 'GreaterThanOrEqualToThreshold', name);
      if (want.metric) {
        assert.equal(alarm.namespace, want.namespace, name);
        assert.equal(alarm.metric_name, want.metric, name);
      }
      if (want.stat) assert.equal(alarm.statistic, want.stat, name);
      assert.equal(alarm.alarm_actions.length, 1, name);
      assert.ok(alarm.alarm_actions[0].startsWith(TOPIC_REF), `${name} notifies the topic, got ${alarm.alarm_actions}`);
    }
    assert.equal(alarmNamed(tf, 'reg-latency-p99').extended_statistic, 'p99');
    assert.match(
      alarmNamed(tf, 'reg-authorization-server-errors').dimensions.FunctionName,
      /aws_lambda_function\.Registry_AuthorizationServer/,
    );
    assert.deepEqual(alarmNamed(tf, 'reg-issuer-unavailable').dimensions, { Registry: 'reg' });
  });

  it("computes the 5xx rate from the API stage's 5xx and Count", () => {
    const queries = alarmNamed(tf, 'reg-server-error-rate').metric_query;
    const rate = queries.find((q: any) => q.return_data === true);
    assert.equal(rate.expression, 'IF(requests > 0, 100 * errors / requests, 0)');
    const metrics = Object.fromEntries(queries.filter((q: any) => q.metric).map((q: any) => [q.id, q.metric]));
    assert.equal(metrics.errors.metric_name, '5xx');
    assert.equal(metrics.requests.metric_name, 'Count');
    assert.match(metrics.errors.dimensions.Stage, /aws_apigatewayv2_stage\.Registry_DefaultStage/);
    assert.match(metrics.errors.dimensions.ApiId, /aws_apigatewayv2_api\.Registry_Api/);
  });

  it('notifies when a health-check metric goes silent, and schedules the checks on the rotation function', () => {
    for (const name of ['reg-issuer-unavailable', 'reg-rotation-overdue']) {
      assert.equal(alarmNamed(tf, name).insufficient_data_actions.length, 1, name);
    }
    const targets = Object.values(resources(tf, 'aws_cloudwatch_event_target')).filter((t: any) => t.input);
    const inputs = targets.map((t: any) => JSON.parse(t.input));
    assert.deepEqual(inputs.map((i) => Object.keys(i).sort()).sort(), [
      ['action', 'issuer', 'registry'],
      ['action', 'registry', 'rotationMarginDays'],
    ]);
    assert.ok(inputs.every((i) => i.action === 'health-check' && i.registry === 'reg'));
    for (const t of targets) assert.match(t.arn, /aws_lambda_function\.Registry_RotationFunction/);
    const permissions = Object.values(resources(tf, 'aws_lambda_permission')).filter((p: any) => p.principal === 'events.amazonaws.com');
    assert.equal(permissions.length, 2);
    const listing = policyOf(tf, 'RotationFunction').Statement.find((s) => s.Action.includes('secretsmanager:ListSecrets'));
    assert.deepEqual(listing?.Action, ['secretsmanager:ListSecrets']);
  });

  it('forwards connection health changes that need someone to the topic, which lets that rule publish', () => {
    const rule = resource(tf, 'aws_cloudwatch_event_rule', 'ConnectionHealthRule');
    assert.deepEqual(JSON.parse(rule.event_pattern), {
      source: ['oauth-registry'],
      'detail-type': ['Connection Health Changed'],
      detail: { connection: ['Billing'], to: ['needs_consent', 'needs_trust', 'error'] },
    });
    const target = resource(tf, 'aws_cloudwatch_event_target', 'ConnectionHealthTarget');
    assert.ok(target.arn.startsWith(TOPIC_REF));
    const policy = JSON.parse(resource(tf, 'aws_sns_topic_policy', 'TopicPolicy').policy);
    const events = policy.Statement.find((s: any) => s.Principal.Service === 'events.amazonaws.com');
    assert.match(events.Condition.ArnEquals['aws:SourceArn'], /aws_cloudwatch_event_rule\.Registry_Alarms_ConnectionHealthRule/);
  });

  it('has no connection alarms or rule without connections', () => {
    const none = synthWith({}, false);
    assert.ok(!Object.values(alarmsOf(none)).some((a: any) => a.alarm_name.startsWith('reg-connections')));
    assert.equal(Object.keys(resources(none, 'aws_cloudwatch_event_rule')).filter((id) => id.includes('ConnectionHealth')).length, 0);
  });

  it('takes overridden thresholds', () => {
    const custom = synthWith({ alarms: { thresholds: { functionErrors: 5, latencyP99Ms: 800, serverErrorRatePercent: 2.5 } } });
    assert.equal(alarmNamed(custom, 'reg-authorization-server-errors').threshold, 5);
    assert.equal(alarmNamed(custom, 'reg-latency-p99').threshold, 800);
    assert.equal(alarmNamed(custom, 'reg-server-error-rate').threshold, 2.5);
    assert.throws(() => synthWith({ alarms: { thresholds: { serverErrorRatePercent: 0 } } }), /serverErrorRatePercent must be above 0/);
  });

  it("notifies the user's topic instead, and subscribes an email", () => {
    const arn = 'arn:aws:sns:eu-west-1:123456789012:ops';
    const theirs = synthWith({ alarms: { topic: arn, email: 'oncall@example.com' } });
    assert.equal(Object.keys(resources(theirs, 'aws_sns_topic')).length, 0);
    for (const alarm of Object.values(alarmsOf(theirs))) assert.deepEqual(alarm.alarm_actions, [arn]);
    const subscription = resource(theirs, 'aws_sns_topic_subscription', 'EmailSubscription');
    assert.deepEqual([subscription.protocol, subscription.endpoint, subscription.topic_arn], ['email', 'oncall@example.com', arn]);
    assert.throws(() => synthWith({ alarms: { email: 'not-an-address' } }), /alarms.email must be an email address, got "not-an-address"/);
  });

  it('can be disabled: no alarm, topic, schedule or rule', () => {
    const off = synthWith({ alarms: { disabled: true } });
    assert.equal(Object.keys(alarmsOf(off)).length, 0);
    assert.equal(Object.keys(resources(off, 'aws_sns_topic')).length, 0);
    assert.equal(Object.keys(resources(off, 'aws_cloudwatch_event_rule')).length, 0);
    assert.ok(!JSON.stringify(policyOf(off, 'RotationFunction')).includes('ListSecrets'));
  });

  it('creates a dashboard with requests, tokens by client, errors, latency, rotations and connections', () => {
    const body = JSON.parse(resource(tf, 'aws_cloudwatch_dashboard', 'Dashboard').dashboard_body);
    const titles = body.widgets.map((w: any) => w.properties.title);
    assert.deepEqual(titles, [
      'Requests',
      'Latency (ms)',
      'Tokens by client',
      'Refusals by client',
      'Function errors and throttles',
      'Rotations and issuer',
      'Connection health and disconnections',
    ]);
    const tokens = body.widgets.find((w: any) => w.properties.title === 'Tokens by client');
    assert.match(
      tokens.properties.query,
      /^SOURCE '\/aws\/lambda\/\$\{aws_lambda_function.Registry_AuthorizationServer\w+.function_name\}' \| filter .*token_issued.* by client_id/,
    );
    assert.equal(Object.keys(resources(synthWith({ dashboard: false }), 'aws_cloudwatch_dashboard')).length, 0);
  });
});
