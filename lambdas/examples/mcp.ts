/**
 * An MCP server behind `registry.addMcpServer('Incidents', { handler: { entry: 'lambdas/examples/mcp.ts' }, … })`:
 * a fresh SDK server and stateless transport per request (Lambda keeps no session), answering JSON, never a stream.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { z } from 'zod';
import { mcpHandler } from 'oauth-registry/runtime';

export const handler = mcpHandler(async (request, { authInfo }) => {
  const server = new McpServer({ name: 'incidents', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who the token acts for, and its scopes' }, async (extra) => ({
    content: [{ type: 'text', text: JSON.stringify({ subject: extra.authInfo?.extra?.subject, scopes: extra.authInfo?.scopes }) }],
  }));
  server.registerTool('add', { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }));
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  return transport.handleRequest(request, { authInfo });
});
