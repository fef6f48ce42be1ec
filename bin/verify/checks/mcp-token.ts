/**
 * Check `mcp-token`: a token asked for with the MCP server's URL as `resource` (RFC 8707) carries exactly that
 * audience and opens the server (`initialize`, which changes nothing). Its routes were called by the route checks:
 * no token and a token of the registry's audience must get 401 there.
 */
import { decodeJwt } from 'jose';
import type { McpServerRegistration } from '../../../lambdas/shared/manifest';
import { mcpServerUrl } from '../../../lambdas/shared/manifest-queries';
import type { VerifyContext } from '../verify-context';
import { attempt, row, type VerifyRow } from '../verify-report';

export async function checkMcpToken(
  { issuer, get, primary, tokens }: Pick<VerifyContext, 'issuer' | 'get' | 'primary' | 'tokens'>,
  server: McpServerRegistration,
): Promise<VerifyRow> {
  if (!primary) return row('mcp-token', server.name, 'skip', 'no token');
  const url = mcpServerUrl(issuer, server);
  const { client } = primary;
  return attempt('mcp-token', server.name, async () => {
    const { token, scopes } = await tokens.request(client, { resource: url });
    const aud = [decodeJwt(token).aud].flat();
    if (aud.length !== 1 || aud[0] !== url) return ['fail', `resource=${url} gave aud ${aud.join(' ')}`];
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'oauth-registry-verify', version: '1' } },
    };
    const response = await get(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(initialize),
    });
    const expected = scopes.some((s) => server.scopes.includes(s)) ? 'authorized' : 403;
    const met = expected === 'authorized' ? response.status !== 401 && response.status !== 403 : response.status === 403;
    const detail = `${client.name}'s token for resource ${url} (aud exactly it): initialize answered HTTP ${response.status}`;
    return [met ? 'ok' : 'fail', `${detail} (expected ${expected === 'authorized' ? 'not 401/403' : 403})`];
  });
}
