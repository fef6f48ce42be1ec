/** A connection's health as the CLI reports it (`status`, the dashboard, `verify`). */
import type { TokenSetStatus } from '../../lambdas/connections/token-set-item';
import type { ConnectionRegistration } from '../../lambdas/shared/manifest';

/** A connection's health for one subject (what `status` always printed; `collectStatus` in status.ts builds them). */
export type ConnectionHealthRow = TokenSetStatus & {
  readonly grant: ConnectionRegistration['grant'];
  readonly mode: ConnectionRegistration['mode'];
};
