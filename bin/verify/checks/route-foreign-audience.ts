/**
 * Check `route-foreign-audience`: a token minted for an audience the route does not accept is refused (401), so the
 * gateway's authorizer accepts no audience its declaration does not name.
 */
import { decodeJwt } from 'jose';
import { clientAudience, routeAudiences } from '../../../lambdas/shared/manifest-queries';
import { routeCall, type CheckedRoute } from '../route-request';
import { canGetOwnToken } from '../tokens';
import type { VerifyContext } from '../verify-context';
import { attempt, row, type VerifyRow } from '../verify-report';

export async function checkRouteForeignAudience(
  { issuer, manifest, get, primary, tokens }: Pick<VerifyContext, 'issuer' | 'manifest' | 'get' | 'primary' | 'tokens'>,
  route: CheckedRoute,
): Promise<VerifyRow> {
  const target = route.routeKey;
  const accepted = routeAudiences(manifest, issuer, route);
  const foreign = [...(primary ? [primary.client] : []), ...manifest.clients.filter(canGetOwnToken)].find(
    (c) => !accepted.includes(clientAudience(manifest, issuer, c)),
  );
  if (!foreign) {
    const reason = 'no client with client_credentials and a shared secret has an audience this route does not accept';
    return row('route-foreign-audience', target, 'skip', reason);
  }
  const { call } = routeCall(issuer, route, get);
  return attempt('route-foreign-audience', target, async () => {
    const aud = clientAudience(manifest, issuer, foreign);
    const { token } = await tokens.of(foreign);
    const minted = [decodeJwt(token).aud].flat();
    if (!minted.includes(aud)) return ['fail', `${foreign.name}'s token carries aud ${minted.join(' ')}, declared ${aud}`];
    const status = (await call(token)).status;
    if (status === 401) return ['ok', `${foreign.name}'s token (aud ${aud}): HTTP 401`];
    const detail =
      `${foreign.name}'s token (aud ${aud}): HTTP ${status}; the route accepts an audience its declaration does not ` +
      `name (it accepts ${accepted.join(', ')})`;
    return ['fail', detail];
  });
}
