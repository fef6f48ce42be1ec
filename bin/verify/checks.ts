/**
 * `oauth-registry verify`: a registry as its callers and API Gateway meet it, over HTTP. Given the expected issuer,
 * the manifest (what the app declares) and a way to read client secrets, it runs each check of `checks/` (one module
 * per row name of `VERIFY_CHECKS`) in order: both metadata documents, the JWKS, a real token verified as the gateway
 * would, every protected route called without a token, with it, and with a token minted for a foreign audience, MCP
 * servers, PKCE, connections. Each check is a row; a failure never stops the others. No secret and no token ever
 * reaches a row: every detail is redacted against both before return.
 */
import type { ClientRegistration, RegistryManifest } from '../../lambdas/shared/manifest';
import { checkAuthorizePkce } from './checks/authorize-pkce';
import { checkClientKeys } from './checks/client-keys';
import { checkConnection } from './checks/connection';
import { checkJwks } from './checks/jwks';
import { checkJwksNextKey } from './checks/jwks-next-key';
import { checkMcpMetadata } from './checks/mcp-metadata';
import { checkMcpToken } from './checks/mcp-token';
import { checkMetadata } from './checks/metadata';
import { checkRouteCallable } from './checks/route-callable';
import { checkRouteForeignAudience } from './checks/route-foreign-audience';
import { checkRouteNoToken } from './checks/route-no-token';
import { checkRouteToken } from './checks/route-token';
import { checkToken } from './checks/token';
import { checkTokenVerification } from './checks/token-verification';
import { timedGet } from './http-get';
import { checkedRoutes } from './route-request';
import { tokenSource } from './tokens';
import type { ConnectionHealth, VerifyContext } from './verify-context';
import { report, row, type VerifyReport } from './verify-report';

export { clientKeyProblems } from './checks/client-keys';
export { jwksProblems, modulusBits } from './checks/jwks';
export { metadataProblems } from './checks/metadata';
export { PATH_PLACEHOLDER, VERIFY_RECORD, routeRequest } from './route-request';
export {
  VERIFY_CHECKS,
  formatVerifyTable,
  type VerifyReport,
  type VerifyResult,
  type VerifyRow,
  type VerifySummary,
} from './verify-report';

export interface VerifyInput {
  /** The issuer the registry must announce (Terraform output, `--issuer`, or local mode's). */
  readonly issuer: string;
  /** What the app declares: clients, routes, audiences, user sign-in. */
  readonly manifest: RegistryManifest;
  /** The client to get the token with. @default the first active client with client_credentials and a shared secret */
  readonly client?: string;
  /**
   * Call routes whose method may change data (POST, PUT, PATCH, DELETE) with a valid token, which runs their handler.
   * Without it, those routes are checked only where the gateway refuses before the handler (no token, wrong audience).
   * @default false
   */
  readonly callUnsafeRoutes?: boolean;
  /** A client's current secret (local state or Secrets Manager). */
  readonly secretOf: (client: ClientRegistration) => Promise<string>;
  /** Every connection's token-set health (`status`'s rows), or why it could not be read; none: not reported. */
  readonly connectionHealth?: ConnectionHealth;
  /** @default 10 s */
  readonly timeoutMs?: number;
}

/** Runs every check against `input.issuer`; rows in `VERIFY_CHECKS` order, one per route for the route checks. */
export async function verifyRegistry(input: VerifyInput): Promise<VerifyReport> {
  const { issuer, manifest } = input;
  const hidden = new Set<string>();
  const get = timedGet(input.timeoutMs ?? 10_000);
  const { rows, discovered } = await checkMetadata({ issuer, get });
  if (!discovered) {
    rows.push(row('jwks', '-', 'skip', 'no valid metadata document: no jwks_uri to read'));
    rows.push(row('token', '-', 'skip', 'no valid metadata document: no token_endpoint'));
    return report(issuer, rows, hidden);
  }
  const tokens = tokenSource({ get, endpoint: String(discovered.token_endpoint), secretOf: input.secretOf, hidden });
  const found = { issuer, manifest, get, discovered, tokens, callUnsafeRoutes: input.callUnsafeRoutes ?? false };

  const { row: jwksRow, jwks } = await checkJwks(found);
  rows.push(jwksRow);
  if (jwks) rows.push(checkJwksNextKey(found, jwks));
  const { row: tokenRow, primary } = await checkToken(found, input.client);
  rows.push(tokenRow);
  const context: VerifyContext = { ...found, ...(primary ? { primary } : {}), connectionHealth: input.connectionHealth };
  rows.push(await checkTokenVerification(context, jwks));

  for (const client of manifest.clients.filter((c) => c.authMethod === 'private_key_jwt'))
    rows.push(await checkClientKeys(context, client));
  const routes = checkedRoutes(manifest);
  for (const route of routes) {
    rows.push(checkRouteCallable(context, route));
    rows.push(await checkRouteNoToken(context, route));
    rows.push(await checkRouteToken(context, route));
    rows.push(await checkRouteForeignAudience(context, route));
  }
  if (routes.length === 0) rows.push(row('route-no-token', '-', 'skip', 'the registry declares no protected route'));
  for (const server of manifest.mcpServers ?? []) {
    rows.push(await checkMcpMetadata(context, server));
    rows.push(await checkMcpToken(context, server));
  }
  rows.push(await checkAuthorizePkce(context));
  for (const connection of manifest.connections ?? []) rows.push(await checkConnection(context, connection));
  return report(issuer, rows, hidden);
}
