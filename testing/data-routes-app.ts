/**
 * An app with one data route of each kind (a created queue, an event bus, a state machine, a stream): what the
 * Terraform check validates for data routes, and what `npm start` serves with `--app testing/data-routes-app.ts`.
 */
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { KinesisStream } from '@cdktf/provider-aws/lib/kinesis-stream';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { App, TerraformStack } from 'cdktf';
import { ClientAuth, DataTarget, OAuthRegistry } from 'oauth-registry';

const app = new App();
const stack = new TerraformStack(app, 'incident-intake');
new AwsProvider(stack, 'aws', { region: process.env.AWS_REGION ?? 'eu-west-1' });
const registry = new OAuthRegistry(stack, 'Registry', { namePrefix: 'incident-intake' });
registry.addExternalClient('AcmeMonitoring', {
  authMethod: ClientAuth.CLIENT_SECRET_BASIC,
  scopes: ['incidents.write', 'telemetry.write'],
});

const bus = new CloudwatchEventBus(stack, 'PartnerEvents', { name: 'incident-intake-partners' });
const workflowRole = new IamRole(stack, 'WorkflowRole', {
  namePrefix: 'incident-intake-workflow-',
  assumeRolePolicy: JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  }),
});
const workflow = new SfnStateMachine(stack, 'Triage', {
  name: 'incident-intake-triage',
  roleArn: workflowRole.arn,
  definition: JSON.stringify({ StartAt: 'Accept', States: { Accept: { Type: 'Succeed' } } }),
});
const stream = new KinesisStream(stack, 'Telemetry', {
  name: 'incident-intake-telemetry',
  streamModeDetails: { streamMode: 'ON_DEMAND' },
  encryptionType: 'KMS',
  kmsKeyId: 'alias/aws/kinesis',
});

registry.addDataRoute('POST /v1/incidents', { target: DataTarget.queue(), scopes: ['incidents.write'] });
registry.addDataRoute('POST /v1/incident-events', {
  target: DataTarget.eventBus(bus, { source: 'partner.acme', detailType: 'Incident reported' }),
  scopes: ['incidents.write'],
});
registry.addDataRoute('POST /v1/triage', { target: DataTarget.stateMachine(workflow), scopes: ['incidents.write'] });
registry.addDataRoute('POST /v1/telemetry', { target: DataTarget.stream(stream), scopes: ['telemetry.write'] });
app.synth();
