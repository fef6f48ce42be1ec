/**
 * Data routes at synth: one AWS service integration per target with its subtype and request parameters, a role that
 * may do exactly one action on exactly that target, provenance mapped from the token's claims (never the body), and a
 * created queue that is encrypted and has a dead-letter queue.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { KinesisStream } from '@cdktf/provider-aws/lib/kinesis-stream';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { deliveredBytes } from '../../lambdas/shared/data-routes';
import { DataTarget } from '../../lib';
import { fixture, resource, resources, synthJson } from './helpers';

const CLIENT_ID = '${context.authorizer.claims.client_id}';
const SUB = '${context.authorizer.claims.sub}';
/** What API Gateway receives: Terraform turns `$${` back into `${`. */
const unescape = (value: string): string => value.replace(/\$\$\{/g, '${');

function dataStack() {
  const f = fixture({ namePrefix: 'acme-auth' });
  f.registry.addExternalClient('Partner', { scopes: ['incidents.write', 'events.write'] });
  const bus = new CloudwatchEventBus(f.stack, 'Bus', { name: 'partner-events' });
  const machine = new SfnStateMachine(f.stack, 'Machine', {
    name: 'intake',
    roleArn: 'arn:aws:iam::123456789012:role/sfn',
    definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
  });
  const stream = new KinesisStream(f.stack, 'Stream', { name: 'telemetry', shardCount: 1 });
  const queueRoute = f.registry.addDataRoute('POST /v1/incidents', { target: DataTarget.queue(), scopes: ['incidents.write'] });
  f.registry.addDataRoute('POST /v1/events', {
    target: DataTarget.eventBus(bus, { source: 'partner.incidents', detailType: 'Incident reported' }),
    scopes: ['events.write'],
  });
  f.registry.addDataRoute('POST /v1/intake', { target: DataTarget.stateMachine(machine), scopes: ['incidents.write'] });
  f.registry.addDataRoute('POST /v1/telemetry', { target: DataTarget.stream(stream), scopes: ['events.write'] });
  return { ...f, queueRoute, tf: synthJson(f.stack) };
}

describe('data routes', () => {
  const { tf, registry } = dataStack();
  const integration = (fragment: string) => resource(tf, 'aws_apigatewayv2_integration', `${fragment}_Integration`);
  const policy = (fragment: string) => JSON.parse(resource(tf, 'aws_iam_role_policy', `${fragment}_IntegrationPolicy`).policy);

  it('SQS: SendMessage of the body, client_id and sub as message attributes from the claims', () => {
    const i = integration('PostV1Incidents');
    assert.equal(i.integration_type, 'AWS_PROXY');
    assert.equal(i.integration_subtype, 'SQS-SendMessage');
    assert.equal(i.payload_format_version, '1.0');
    assert.match(i.credentials_arn, /aws_iam_role\.Registry_PostV1Incidents_IntegrationRole_[A-Z0-9]+\.arn/);
    assert.equal(i.request_parameters.MessageBody, '$request.body');
    assert.match(i.request_parameters.QueueUrl, /aws_sqs_queue\.Registry_PostV1Incidents_Queue_[A-Z0-9]+\.url/);
    const attributes = JSON.parse(unescape(i.request_parameters.MessageAttributes));
    assert.deepEqual(attributes, {
      sub: { DataType: 'String', StringValue: SUB },
      client_id: { DataType: 'String', StringValue: CLIENT_ID },
    });
    assert.deepEqual(Object.keys(attributes), ['sub', 'client_id'], 'client_id comes last');
  });

  it('EventBridge: PutEvents on the bus with the source and detail type; the detail carries the provenance after the body', () => {
    const i = integration('PostV1Events');
    assert.equal(i.integration_subtype, 'EventBridge-PutEvents');
    assert.equal(i.request_parameters.Source, 'partner.incidents');
    assert.equal(i.request_parameters.DetailType, 'Incident reported');
    assert.match(i.request_parameters.EventBusName, /aws_cloudwatch_event_bus\.Bus\.name/);
    assert.equal(unescape(i.request_parameters.Detail), `{"body":\${request.body},"sub":"${SUB}","client_id":"${CLIENT_ID}"}`);
  });

  it('Step Functions: StartExecution with the body and its provenance as input', () => {
    const i = integration('PostV1Intake');
    assert.equal(i.integration_subtype, 'StepFunctions-StartExecution');
    assert.match(i.request_parameters.StateMachineArn, /aws_sfn_state_machine\.Machine\.arn/);
    assert.equal(unescape(i.request_parameters.Input), `{"body":\${request.body},"sub":"${SUB}","client_id":"${CLIENT_ID}"}`);
  });

  it("Kinesis: PutRecord of the body, partitioned by the sender's client_id", () => {
    const i = integration('PostV1Telemetry');
    assert.equal(i.integration_subtype, 'Kinesis-PutRecord');
    assert.match(i.request_parameters.StreamName, /aws_kinesis_stream\.Stream\.name/);
    assert.equal(i.request_parameters.Data, '$request.body');
    assert.equal(unescape(i.request_parameters.PartitionKey), CLIENT_ID);
  });

  it('no mapping reads provenance from the request: every claim comes from the authorizer', () => {
    for (const i of Object.values<any>(resources(tf, 'aws_apigatewayv2_integration'))) {
      if (!i.integration_subtype) continue;
      for (const value of Object.values<string>(i.request_parameters)) {
        const requestReads = unescape(value).match(/\$\{?request\.[a-z.]+/g) ?? [];
        assert.deepEqual([...new Set(requestReads.map((r) => r.replace('{', '')))], requestReads.length ? ['$request.body'] : []);
      }
    }
  });

  it("each integration's role may do exactly one action on exactly its target", () => {
    const expected: Record<string, [string, RegExp]> = {
      PostV1Incidents: ['sqs:SendMessage', /aws_sqs_queue\.Registry_PostV1Incidents_Queue_[A-Z0-9]+\.arn/],
      PostV1Events: ['events:PutEvents', /aws_cloudwatch_event_bus\.Bus\.arn/],
      PostV1Intake: ['states:StartExecution', /aws_sfn_state_machine\.Machine\.arn/],
      PostV1Telemetry: ['kinesis:PutRecord', /aws_kinesis_stream\.Stream\.arn/],
    };
    for (const [fragment, [action, arn]] of Object.entries(expected)) {
      const { Statement } = policy(fragment);
      assert.equal(Statement.length, 1, fragment);
      assert.deepEqual(Statement[0].Action, [action], fragment);
      assert.equal(Statement[0].Resource.length, 1, fragment);
      assert.match(Statement[0].Resource[0], arn, fragment);
      const trust = JSON.parse(resource(tf, 'aws_iam_role', `${fragment}_IntegrationRole`).assume_role_policy);
      assert.deepEqual(trust.Statement[0].Principal, { Service: 'apigateway.amazonaws.com' });
    }
  });

  it("routes use the registry's JWT authorizer with their scopes", () => {
    const route = resource(tf, 'aws_apigatewayv2_route', 'PostV1Incidents');
    assert.equal(route.route_key, 'POST /v1/incidents');
    assert.equal(route.authorization_type, 'JWT');
    assert.deepEqual(route.authorization_scopes, ['incidents.write']);
    assert.match(route.authorizer_id, /aws_apigatewayv2_authorizer\.Registry_Authorizer_[A-Z0-9]+\.id/);
    assert.match(route.target, /integrations\/\$\{aws_apigatewayv2_integration\.Registry_PostV1Incidents_Integration_[A-Z0-9]+\.id\}/);
  });

  it('a created queue is encrypted (SSE-SQS), sized to the limit, and dead-letters to an encrypted queue after 5 receives', () => {
    const queue = resource(tf, 'aws_sqs_queue', 'PostV1Incidents_Queue');
    const dlq = resource(tf, 'aws_sqs_queue', 'PostV1Incidents_DeadLetterQueue');
    assert.equal(queue.name, 'acme-auth-post-v1-incidents');
    assert.equal(queue.sqs_managed_sse_enabled, true);
    assert.equal(queue.max_message_size, 262144);
    const redrive = JSON.parse(queue.redrive_policy);
    assert.equal(redrive.maxReceiveCount, 5);
    assert.match(redrive.deadLetterTargetArn, /aws_sqs_queue\.Registry_PostV1Incidents_DeadLetterQueue_[A-Z0-9]+\.arn/);
    assert.equal(dlq.name, 'acme-auth-post-v1-incidents-dlq');
    assert.equal(dlq.sqs_managed_sse_enabled, true);
    assert.equal(dlq.message_retention_seconds, 14 * 86400);
  });

  it("local mode's size check counts what these mappings deliver", () => {
    const provenance = { client_id: 'c0ffee', sub: 'https://idp.example|ünïcode' };
    const body = '{"title":"disk full"}';
    const fill = (template: string) =>
      unescape(template).replace('${request.body}', body).replace(CLIENT_ID, provenance.client_id).replace(SUB, provenance.sub);
    const bytes = (text: string) => Buffer.byteLength(text);
    const routes = registry.manifest().dataRoutes!;
    const byKind = (kind: string) => routes.find((r) => r.target.kind === kind)!.target;
    const events = integration('PostV1Events').request_parameters;
    assert.equal(
      deliveredBytes(byKind('eventBus'), bytes(body), provenance),
      bytes(fill(events.Detail)) + bytes(events.Source) + bytes(events.DetailType),
    );
    const intake = integration('PostV1Intake').request_parameters;
    assert.equal(deliveredBytes(byKind('stateMachine'), bytes(body), provenance), bytes(fill(intake.Input)));
    const attributes = JSON.parse(fill(integration('PostV1Incidents').request_parameters.MessageAttributes));
    const attributeBytes = Object.entries<any>(attributes).reduce((n, [name, a]) => n + bytes(name + a.DataType + a.StringValue), 0);
    assert.equal(deliveredBytes(byKind('queue'), bytes(body), provenance), bytes(body) + attributeBytes);
    assert.equal(deliveredBytes(byKind('stream'), bytes(body), provenance), bytes(body) + bytes(provenance.client_id));
  });

  it('the manifest carries the data routes, their scopes and targets', () => {
    assert.deepEqual(registry.manifest().dataRoutes, [
      { routeKey: 'POST /v1/incidents', scopes: ['incidents.write'], target: { kind: 'queue' } },
      {
        routeKey: 'POST /v1/events',
        scopes: ['events.write'],
        target: { kind: 'eventBus', source: 'partner.incidents', detailType: 'Incident reported' },
      },
      { routeKey: 'POST /v1/intake', scopes: ['incidents.write'], target: { kind: 'stateMachine' } },
      { routeKey: 'POST /v1/telemetry', scopes: ['events.write'], target: { kind: 'stream' } },
    ]);
  });
});

describe('data route validation', () => {
  it('refuses a method other than POST', () => {
    const { registry } = fixture();
    assert.throws(
      () => registry.addDataRoute('GET /v1/incidents', { target: DataTarget.queue(), scopes: ['x'] }),
      /data route "GET \/v1\/incidents": a data route takes records by POST, got GET/,
    );
  });

  it('refuses a route key already served by a handler route', () => {
    const { registry } = fixture();
    registry.addExternalClient('Partner', { scopes: ['x'] });
    registry.addRoute('POST /v1/incidents', { handler: { entry: 'lambdas/examples/hello.ts' }, scopes: ['x'] });
    assert.throws(
      () => registry.addDataRoute('POST /v1/incidents', { target: DataTarget.queue(), scopes: ['x'] }),
      /duplicate route "POST \/v1\/incidents"/,
    );
  });

  it('refuses an event bus target without a source, or with a source EventBridge reserves', () => {
    assert.throws(
      () => DataTarget.eventBus(undefined, { source: '', detailType: 'x' }),
      /DataTarget.eventBus: source must be a non-empty string, got ""/,
    );
    assert.throws(
      () => DataTarget.eventBus(undefined, { source: 'aws.partner', detailType: 'x' }),
      /DataTarget.eventBus: source must not start with "aws." \(EventBridge reserves it\), got "aws.partner"/,
    );
  });

  it('fails synth when no client can obtain the route scopes', () => {
    const { registry, stack } = fixture();
    registry.addExternalClient('Partner', { scopes: ['incidents.read'] });
    registry.addDataRoute('POST /v1/incidents', { target: DataTarget.queue(), scopes: ['incidents.write'] });
    assert.throws(() => synthJson(stack), /data route "POST \/v1\/incidents": no external client of the registry can obtain/);
  });

  it('sends to a queue you pass without creating one; the role may send to that queue only', () => {
    const { registry, stack } = fixture();
    registry.addExternalClient('Partner', { scopes: ['x'] });
    const mine = new SqsQueue(stack, 'Mine', { name: 'partner-intake', sqsManagedSseEnabled: true });
    const route = registry.addDataRoute('POST /v1/incidents', { target: DataTarget.queue(mine), scopes: ['x'] });
    assert.equal(route.queue, undefined);
    const tf = synthJson(stack);
    assert.deepEqual(Object.keys(resources(tf, 'aws_sqs_queue')), ['Mine']);
    const integration = resource(tf, 'aws_apigatewayv2_integration', 'PostV1Incidents_Integration');
    assert.equal(integration.request_parameters.QueueUrl, '${aws_sqs_queue.Mine.url}');
    const { Statement } = JSON.parse(resource(tf, 'aws_iam_role_policy', 'PostV1Incidents_IntegrationPolicy').policy);
    assert.deepEqual(Statement, [
      { Sid: 'Deliver', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: ['${aws_sqs_queue.Mine.arn}'] },
    ]);
  });

  it("puts events on the account's default bus when no bus is given, and the role is bound to that bus", () => {
    const { registry, stack } = fixture();
    registry.addExternalClient('Partner', { scopes: ['x'] });
    registry.addDataRoute('POST /v1/events', { target: DataTarget.eventBus(undefined, { source: 's', detailType: 'd' }), scopes: ['x'] });
    const tf = synthJson(stack);
    assert.equal(resource(tf, 'aws_apigatewayv2_integration', 'PostV1Events_Integration').request_parameters.EventBusName, 'default');
    const { Statement } = JSON.parse(resource(tf, 'aws_iam_role_policy', 'PostV1Events_IntegrationPolicy').policy);
    assert.match(
      Statement[0].Resource[0],
      /^arn:\$\{data\.aws_partition\..*\}:events:\$\{data\.aws_region\..*\}:\$\{.*\}:event-bus\/default$/,
    );
  });
});
