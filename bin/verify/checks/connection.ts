/**
 * Check `connection`: a connection's consent route is served (`connect` without a link is refused 400, not 404), its
 * redirect URI, and its token sets' health (ok when every one is connected; warn when a person must consent, or the
 * health could not be read; fail on an error).
 */
import type { ConnectionRegistration } from '../../../lambdas/shared/manifest';
import { connectionPath } from '../../../lambdas/shared/routes';
import type { VerifyContext } from '../verify-context';
import { attempt, type VerifyRow } from '../verify-report';

export function checkConnection(
  { issuer, get, connectionHealth }: Pick<VerifyContext, 'issuer' | 'get' | 'connectionHealth'>,
  connection: ConnectionRegistration,
): Promise<VerifyRow> {
  return attempt('connection', connection.name, async () => {
    const connect = `${issuer}${connectionPath(connection.name, 'connect')}`;
    const status = (await get(connect)).status;
    if (status !== 400) return ['fail', `GET ${new URL(connect).pathname} without a link: HTTP ${status} (expected 400: is it deployed?)`];
    const parts = ['routes served'];
    if (connection.grant === 'authorization_code') parts.push(`redirect URI ${issuer}${connectionPath(connection.name, 'callback')}`);
    if (connectionHealth === undefined) return ['ok', parts.join('; ')];
    if ('unreadable' in connectionHealth) return ['warn', [...parts, `health not read: ${connectionHealth.unreadable}`].join('; ')];
    const rows = connectionHealth.filter((r) => r.connection === connection.name);
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.health, (counts.get(r.health) ?? 0) + 1);
    parts.push(`health ${[...counts].map(([h, n]) => (rows.length > 1 ? `${h} ×${n}` : h)).join(', ') || 'none'}`);
    const failing = rows.find((r) => r.health === 'error' || r.health === 'needs_trust');
    if (failing) return ['fail', [...parts, `last error: ${failing.lastError ?? '-'}`].join('; ')];
    const waiting = rows.some((r) => r.health === 'not_connected' || r.health === 'needs_consent');
    return [waiting ? 'warn' : 'ok', [...parts, ...(waiting ? ['a person must consent (oauth-registry connect)'] : [])].join('; ')];
  });
}
