/**
 * Check `route-token`: the chosen client's token gets what the declaration says (401 for an audience the route does
 * not accept, 403 for scopes it does not meet, else through to the handler or the data route's service). A request
 * the gateway would let through to a route that may change data is sent only with `--call-unsafe-routes`.
 */
import { clientAudience, routeAudiences } from '../../../lambdas/shared/manifest-queries';
import { SAFE_METHODS, routeCall, scopesMeet, type CheckedRoute } from '../route-request';
import type { VerifyContext } from '../verify-context';
import { attempt, row, type VerifyRow } from '../verify-report';

export async function checkRouteToken(
  { issuer, manifest, get, primary, callUnsafeRoutes }: Pick<VerifyContext, 'issuer' | 'manifest' | 'get' | 'primary' | 'callUnsafeRoutes'>,
  route: CheckedRoute,
): Promise<VerifyRow> {
  const target = route.routeKey;
  if (!primary) return row('route-token', target, 'skip', 'no token');
  const { method, call } = routeCall(issuer, route, get);
  const { client, token, scopes } = primary;
  return attempt('route-token', target, async () => {
    const aud = clientAudience(manifest, issuer, client);
    const expected = !routeAudiences(manifest, issuer, route).includes(aud) ? 401 : !scopesMeet(route, scopes) ? 403 : 'authorized';
    // Decided before any call: a request the gateway would let through must not be sent at all.
    if (expected === 'authorized' && !SAFE_METHODS.has(method) && !callUnsafeRoutes) {
      const effect = 'target' in route ? `deliver a test record to its ${route.target.kind}` : 'run the handler';
      return ['skip', `${method} would ${effect}: pass --call-unsafe-routes to call it with a token`];
    }
    const status = (await call(token)).status;
    const why =
      expected === 401
        ? `aud ${aud} is not one this route accepts`
        : expected === 403
          ? `scope ${scopes.join(' ') || '-'} meets none of ${route.scopes.join(' ')}`
          : 'audience and scope accepted';
    // A data route answers its service's response (200) once the record is delivered; a handler answers anything.
    const isData = 'target' in route;
    const met = expected === 'authorized' ? (isData ? status === 200 : status !== 401 && status !== 403) : status === expected;
    const shown = expected === 'authorized' ? (isData ? '200, a test record delivered' : 'not 401/403') : String(expected);
    return [met ? 'ok' : 'fail', `${client.name}'s token: HTTP ${status} (expected ${shown}: ${why})`];
  });
}
