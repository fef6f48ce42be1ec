/** Check `route-callable`: some client can call the route (an audience it accepts and one of its scopes). */
import { clientAudience, opensRoute, routeAudiences } from '../../../lambdas/shared/manifest-queries';
import type { CheckedRoute } from '../route-request';
import type { VerifyContext } from '../verify-context';
import { row, type VerifyRow } from '../verify-report';

export function checkRouteCallable({ issuer, manifest }: Pick<VerifyContext, 'issuer' | 'manifest'>, route: CheckedRoute): VerifyRow {
  const target = route.routeKey;
  const accepted = routeAudiences(manifest, issuer, route);
  // An MCP server's routes accept its URL only, which a client gets by naming it as `resource` (RFC 8707).
  const byResource = 'resourcePath' in route && route.resourcePath !== undefined;
  const callers = manifest.clients.filter((c) =>
    opensRoute(
      { aud: byResource ? accepted[0] : clientAudience(manifest, issuer, c), scopes: c.scopes },
      { audiences: accepted, scopes: route.scopes },
    ),
  );
  const registeredAtRuntime = [manifest.clientIdMetadataDocuments, manifest.dynamicClientRegistration].some(
    (open) => open !== undefined && route.scopes.some((s) => open.scopes.includes(s)),
  );
  if (callers.length === 0 && !(byResource && registeredAtRuntime)) {
    return row(
      'route-callable',
      target,
      'fail',
      `no client has both an audience it accepts (${accepted.join(', ')}) and one of its scopes`,
    );
  }
  const named = callers.slice(0, 3).map((c) => c.name);
  const more = callers.length > 3 ? ` and ${callers.length - 3} more` : '';
  const how = byResource ? `one of its scopes, asking for resource ${accepted[0]}` : 'an audience it accepts and one of its scopes';
  const who = named.length > 0 ? `${named.join(', ')}${more}` : 'clients registered by metadata document or dynamically';
  return row('route-callable', target, 'ok', `${who}: ${how}`);
}
