/**
 * Check `client-keys`: a `private_key_jwt` client. The registry announces the method, and the client's keys (inline,
 * or at `jwks_uri`, fetched now) are public signing keys of an algorithm the registry accepts. verify cannot sign an
 * assertion (only the partner holds the private key), so the token exchange itself is not exercised: the detail says so.
 */
import type { JWK } from 'jose';
import { ASSERTION_SIGNING_ALGORITHMS, type ClientRegistration } from '../../../lambdas/shared/manifest';
import { PRIVATE_JWK_MEMBERS } from '../../../lambdas/shared/oauth-syntax';
import type { VerifyContext } from '../verify-context';
import { attempt, type VerifyRow } from '../verify-report';
import { modulusBits } from './jwks';

export function checkClientKeys(
  { discovered, get }: Pick<VerifyContext, 'discovered' | 'get'>,
  client: ClientRegistration,
): Promise<VerifyRow> {
  return attempt('client-keys', client.name, async () => {
    const limit = "; the assertion exchange is not exercised (verify holds no partner's private key)";
    const methods = discovered.token_endpoint_auth_methods_supported;
    if (!Array.isArray(methods) || !methods.includes('private_key_jwt')) {
      return ['fail', 'the metadata does not list private_key_jwt in token_endpoint_auth_methods_supported'];
    }
    let keys: unknown;
    let where = 'inline jwks';
    if (client.jwksUri !== undefined) {
      where = client.jwksUri;
      const response = await get(client.jwksUri);
      if (response.status !== 200) return ['fail', `jwks_uri ${client.jwksUri}: HTTP ${response.status}`];
      keys = ((await response.json().catch(() => ({}))) as { keys?: unknown }).keys;
    } else keys = client.jwks?.keys;
    const problems = clientKeyProblems(keys);
    if (problems.length > 0) return ['fail', `${where}: ${problems.join('; ')}`];
    const list = keys as JWK[];
    return ['ok', `${where}: ${list.length} public signing key(s) (${list.map((k) => k.kid ?? k.kty).join(', ')})${limit}`];
  });
}

/** What is wrong with a client's key set for assertions; empty when nothing is. */
export function clientKeyProblems(keys: unknown): string[] {
  if (!Array.isArray(keys) || keys.length === 0) return ['no keys'];
  const problems: string[] = [];
  (keys as JWK[]).forEach((key, i) => {
    const name = typeof key.kid === 'string' && key.kid ? key.kid : `#${i}`;
    if (!['RSA', 'EC', 'OKP'].includes(String(key.kty))) problems.push(`key ${name} is ${String(key.kty)}: no accepted algorithm uses it`);
    if (key.kty === 'RSA' && modulusBits(key) < 2048) problems.push(`key ${name} has a ${modulusBits(key)}-bit modulus (minimum 2048)`);
    if (key.use !== undefined && key.use !== 'sig') problems.push(`key ${name} is for ${String(key.use)}, not sig`);
    if (key.alg !== undefined && !(ASSERTION_SIGNING_ALGORITHMS as readonly string[]).includes(key.alg)) {
      problems.push(`key ${name} is for ${key.alg}, which the registry does not accept (${ASSERTION_SIGNING_ALGORITHMS.join(', ')})`);
    }
    if (PRIVATE_JWK_MEMBERS.some((member) => member in key)) problems.push(`key ${name} has private members`);
  });
  if ((keys as JWK[]).length > 1 && (keys as JWK[]).some((k) => !k.kid)) problems.push('several keys, not all with a kid');
  return problems;
}
