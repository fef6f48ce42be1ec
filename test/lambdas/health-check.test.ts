/**
 * The scheduled health check the alarms watch: it reads the issuer over real HTTP and the rotation dates from
 * ListSecrets (SDK mocked), and writes one embedded-metric-format line CloudWatch turns into the alarms' metrics.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { isHealthCheckEvent, overdueSecrets, runHealthCheck } from '../../lambdas/rotation/health-check';
import { listRotationDates, type RotationDates } from '../../lambdas/shared/adapters/aws-rotation-dates';
import { silentLogger } from '../../lambdas/shared/log';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 31);

describe('health check', () => {
  let server: Server;
  let issuer: string;
  let serving = true;

  before(async () => {
    server = createServer((req, res) => {
      if (!serving) return void res.writeHead(503).end();
      if (req.url === '/.well-known/openid-configuration') {
        return void res.writeHead(200).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json` }));
      }
      res.writeHead(200).end(JSON.stringify({ keys: [{ kty: 'RSA', kid: 'k1' }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const secrets: RotationDates[] = [
    { name: 'reg/signing-key', periodDays: 30, lastRotatedMs: NOW - 31 * DAY }, // within 30 + 2 days
    { name: 'reg/clients/a', periodDays: 30, lastRotatedMs: NOW - 33 * DAY }, // overdue
    { name: 'reg/clients/b', periodDays: 90, lastRotatedMs: NOW - 40 * DAY },
  ];

  it('counts a secret overdue only past its period plus the margin', () => {
    assert.deepEqual(overdueSecrets(secrets, 2, NOW), ['reg/clients/a']);
    assert.deepEqual(overdueSecrets(secrets, 0, NOW), ['reg/signing-key', 'reg/clients/a']);
    assert.deepEqual(overdueSecrets(secrets, 5, NOW), []);
  });

  it('writes the metrics the alarms watch, under the registry dimension', async () => {
    const lines: string[] = [];
    const event = { action: 'health-check', registry: 'reg', issuer, rotationMarginDays: 2 } as const;
    assert.ok(isHealthCheckEvent(event));
    const deps = {
      log: silentLogger,
      listRotationDates: async () => secrets,
      clock: () => NOW,
      writeMetrics: (l: string) => lines.push(l),
    };
    const healthy = await runHealthCheck(event, deps);
    assert.deepEqual(healthy, { issuerProblem: undefined, overdueSecrets: ['reg/clients/a'] });
    serving = false;
    const broken = await runHealthCheck(event, deps);
    serving = true;
    assert.match(broken.issuerProblem ?? '', /answered HTTP 503/);

    const [first, second] = lines.map((l) => JSON.parse(l));
    assert.deepEqual(first._aws.CloudWatchMetrics, [
      {
        Namespace: 'OAuthRegistry',
        Dimensions: [['Registry']],
        Metrics: [
          { Name: 'IssuerUnavailable', Unit: 'Count' },
          { Name: 'OverdueRotations', Unit: 'Count' },
        ],
      },
    ]);
    assert.equal(first._aws.Timestamp, NOW);
    assert.deepEqual([first.Registry, first.IssuerUnavailable, first.OverdueRotations], ['reg', 0, 1]);
    assert.equal(second.IssuerUnavailable, 1);
  });

  it("lists only this registry's rotated secrets, page by page, the creation date standing in for a first rotation", async () => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    const sm = mockClient(client);
    const created = new Date(NOW - 10 * DAY);
    sm.on(ListSecretsCommand, { NextToken: undefined })
      .resolves({
        SecretList: [
          { Name: 'reg/signing-key', RotationEnabled: true, RotationRules: { AutomaticallyAfterDays: 30 }, CreatedDate: created },
          { Name: 'reg/user-authentication', RotationEnabled: false, CreatedDate: created },
        ],
        NextToken: 'p2',
      })
      .on(ListSecretsCommand, { NextToken: 'p2' })
      .resolves({
        SecretList: [
          {
            Name: 'reg/clients/a',
            RotationEnabled: true,
            RotationRules: { AutomaticallyAfterDays: 90 },
            CreatedDate: created,
            LastRotatedDate: new Date(NOW - DAY),
          },
          { Name: 'reg-other/clients/x', RotationEnabled: true, RotationRules: { AutomaticallyAfterDays: 1 }, CreatedDate: created },
        ],
      });
    assert.deepEqual(await listRotationDates('reg', client), [
      { name: 'reg/signing-key', periodDays: 30, lastRotatedMs: NOW - 10 * DAY },
      { name: 'reg/clients/a', periodDays: 90, lastRotatedMs: NOW - DAY },
    ]);
    assert.deepEqual(sm.commandCalls(ListSecretsCommand)[0].args[0].input.Filters, [{ Key: 'name', Values: ['reg/'] }]);
  });
});
