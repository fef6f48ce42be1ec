/**
 * The registry's scheduled health check (EventBridge schedules invoke the rotation function with it): whether the
 * issuer still serves its discovery document and JWKS, and which rotated secrets missed their rotation. It publishes
 * what it finds as metrics (`HEALTH_METRICS`) that the registry's alarms watch; a check that stops running leaves
 * them without data, which the alarms count as breaching.
 */
import type { RotationDates } from '../shared/adapters/aws-rotation-dates';
import { embeddedMetricLine, type HealthMetric, HEALTH_METRICS } from '../shared/health-signals';
import type { Logger } from '../shared/log';
import { issuerProblem } from './await-issuer';

export interface HealthCheckEvent {
  readonly action: 'health-check';
  /** The registry's `namePrefix` (the metrics' dimension, and its secrets' name prefix). */
  readonly registry: string;
  /** Check that this issuer answers. */
  readonly issuer?: string;
  /** Check the rotation dates of the registry's secrets, allowing this many days past each period. */
  readonly rotationMarginDays?: number;
}

export interface HealthCheckResult {
  readonly issuerProblem?: string;
  readonly overdueSecrets?: readonly string[];
}

export interface HealthCheckDeps {
  readonly log: Logger;
  readonly listRotationDates: (namePrefix: string) => Promise<RotationDates[]>;
  readonly fetch?: typeof fetch;
  readonly clock?: () => number;
  /** Where the metric line goes. @default stdout, as is */
  readonly writeMetrics?: (line: string) => void;
}

export function isHealthCheckEvent(event: unknown): event is HealthCheckEvent {
  const e = event as Partial<HealthCheckEvent> | null;
  return typeof e === 'object' && e !== null && e.action === 'health-check' && typeof e.registry === 'string';
}

const DAY_MS = 86_400_000;

/** Secrets whose last rotation is older than their period plus `marginDays` at `now`. */
export function overdueSecrets(secrets: readonly RotationDates[], marginDays: number, now: number): string[] {
  return secrets.filter((s) => now > s.lastRotatedMs + (s.periodDays + marginDays) * DAY_MS).map((s) => s.name);
}

export async function runHealthCheck(event: HealthCheckEvent, deps: HealthCheckDeps): Promise<HealthCheckResult> {
  const now = (deps.clock ?? Date.now)();
  const metrics: Partial<Record<HealthMetric, number>> = {};
  const result: { issuerProblem?: string; overdueSecrets?: string[] } = {};
  if (event.issuer !== undefined) {
    result.issuerProblem = await issuerProblem(event.issuer.replace(/\/+$/, ''), deps.fetch ?? fetch);
    metrics[HEALTH_METRICS.issuerUnavailable] = result.issuerProblem === undefined ? 0 : 1;
    if (result.issuerProblem !== undefined) deps.log.error('issuer_unavailable', { issuer: event.issuer, problem: result.issuerProblem });
  }
  if (event.rotationMarginDays !== undefined) {
    result.overdueSecrets = overdueSecrets(await deps.listRotationDates(event.registry), event.rotationMarginDays, now);
    metrics[HEALTH_METRICS.overdueRotations] = result.overdueSecrets.length;
    if (result.overdueSecrets.length > 0) deps.log.error('rotation_overdue', { secrets: result.overdueSecrets });
  }
  const line = embeddedMetricLine(event.registry, metrics, now);
  (deps.writeMetrics ?? ((l: string) => process.stdout.write(`${l}\n`)))(line);
  return result;
}
