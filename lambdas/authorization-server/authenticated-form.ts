/** Revocation and introspection take the token endpoint's form and client authentication (RFC 7009 §2.1, RFC 7662 §2.1). */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ClientRegistration } from '../shared/manifest';
import { readClientCredentials, type ClientAuthenticator } from './client-auth';
import { readTokenRequest } from './token';

export async function readAuthenticatedForm(
  event: APIGatewayProxyEventV2,
  authenticate: ClientAuthenticator,
): Promise<{ params: ReadonlyMap<string, string>; client: ClientRegistration }> {
  const params = readTokenRequest(event);
  const client = await authenticate(readClientCredentials(event, params));
  return { params, client };
}
