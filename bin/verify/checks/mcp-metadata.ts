/** Check `mcp-metadata`: an MCP server's RFC 9728 document names exactly its URL and the registry as its server. */
import type { McpServerRegistration } from '../../../lambdas/shared/manifest';
import { mcpServerUrl, protectedResourceMetadataPath } from '../../../lambdas/shared/manifest-queries';
import type { VerifyContext } from '../verify-context';
import { attempt, type VerifyRow } from '../verify-report';

export function checkMcpMetadata(
  { issuer, get }: Pick<VerifyContext, 'issuer' | 'get'>,
  server: McpServerRegistration,
): Promise<VerifyRow> {
  const url = mcpServerUrl(issuer, server);
  const metadataUrl = `${issuer}${protectedResourceMetadataPath(server)}`;
  return attempt('mcp-metadata', server.name, async () => {
    const response = await get(metadataUrl);
    if (response.status !== 200) return ['fail', `${metadataUrl}: HTTP ${response.status}`];
    const document = (await response.json()) as Record<string, unknown>;
    const problems = [
      ...(document.resource === url ? [] : [`resource is ${JSON.stringify(document.resource)}, not ${url}`]),
      ...(Array.isArray(document.authorization_servers) && document.authorization_servers.includes(issuer)
        ? []
        : [`authorization_servers does not name ${issuer}`]),
    ];
    if (problems.length > 0) return ['fail', problems.join('; ')];
    return ['ok', `${metadataUrl}: resource ${url}, authorization server ${issuer}`];
  });
}
