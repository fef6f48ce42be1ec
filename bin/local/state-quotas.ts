/**
 * Bounds on local state that anonymous requests can create. `GET /oauth2/authorize` with a valid client and redirect
 * URI stores a pending sign-in for 10 minutes before anyone has signed in; these bounds keep a flood of them from
 * filling the disk. They are local mode's: in AWS each pending sign-in is one DynamoDB item (its write costs the same
 * whatever the table holds, TTL removes it, and API Gateway's throttling bounds the rate), while a count per client
 * there would need a shared counter item on every request, a hot key for a cost DynamoDB does not have.
 */
import type { StateQuota } from '../../lambdas/shared/adapters/local-state-store';
import { KEY_PREFIX } from '../../lambdas/shared/table-keys';

/**
 * At most 100 pending sign-ins per client and 1,000 in all. Past a bound a new one is refused (the client hears
 * `temporarily_unavailable`) and none in progress is evicted: anonymous requests cannot push out a real user's sign-in
 * already sent to the provider, only delay new ones until theirs expire (10 minutes).
 */
export const PENDING_SIGN_IN_QUOTA: StateQuota = { prefix: KEY_PREFIX.authRequest, groupBy: 'clientId', perGroup: 100, total: 1_000 };
