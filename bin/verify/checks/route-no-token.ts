/** Check `route-no-token`: the route refuses a request without a token (401), as API Gateway's authorizer does. */
import { routeCall, type CheckedRoute } from '../route-request';
import type { VerifyContext } from '../verify-context';
import { attempt, type VerifyRow } from '../verify-report';

export function checkRouteNoToken({ issuer, get }: Pick<VerifyContext, 'issuer' | 'get'>, route: CheckedRoute): Promise<VerifyRow> {
  const { method, url, call } = routeCall(issuer, route, get);
  return attempt('route-no-token', route.routeKey, async () => {
    const response = await call();
    if (response.status === 401) return ['ok', `${method} ${new URL(url).pathname}: HTTP 401`];
    return ['fail', `HTTP ${response.status} without a token (expected 401)`];
  });
}
