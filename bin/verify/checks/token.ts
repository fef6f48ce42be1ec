/** Check `token`: the chosen client gets a real token by client_credentials at the metadata's `token_endpoint`. */
import type { ClientRegistration, RegistryManifest } from '../../../lambdas/shared/manifest';
import { canGetOwnToken, type PrimaryToken } from '../tokens';
import type { VerifyContext } from '../verify-context';
import { attempt, row, type VerifyRow } from '../verify-report';

/** The row; `primary`: the token the route and MCP checks use (absent: none could be had). */
export async function checkToken(
  { manifest, tokens }: Pick<VerifyContext, 'manifest' | 'tokens'>,
  /** `--client`; none: the first active client with client_credentials and a shared secret. */
  name: string | undefined,
): Promise<{ row: VerifyRow; primary?: PrimaryToken }> {
  const chosen = chooseClient(manifest, name);
  if ('reason' in chosen) return { row: row('token', name ?? '-', chosen.fail ? 'fail' : 'skip', chosen.reason) };
  const { client } = chosen;
  let primary: PrimaryToken | undefined;
  const tokenRow = await attempt('token', client.name, async () => {
    const { token, scopes } = await tokens.of(client);
    primary = { client, token, scopes };
    return ['ok', `client_credentials at ${tokens.endpoint} (${client.authMethod}); scope: ${scopes.join(' ') || '-'}`];
  });
  return { row: tokenRow, ...(primary ? { primary } : {}) };
}

type Choice = { readonly client: ClientRegistration } | { readonly reason: string; readonly fail: boolean };

function chooseClient(manifest: RegistryManifest, name: string | undefined): Choice {
  if (name === undefined) {
    const client = manifest.clients.find(canGetOwnToken);
    return client ? { client } : { reason: 'no active client has client_credentials and a shared secret', fail: false };
  }
  const client = manifest.clients.find((c) => c.name === name || c.clientId === name);
  if (!client) {
    const known = manifest.clients.map((c) => c.name).join(', ') || 'none';
    return { reason: `no client named ${JSON.stringify(name)} (clients: ${known})`, fail: true };
  }
  if (!canGetOwnToken(client)) {
    return { reason: `${client.name} cannot get a token by itself (needs client_credentials, a shared secret, active)`, fail: true };
  }
  return { client };
}
