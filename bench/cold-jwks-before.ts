/**
 * The bench's "before" container for the cold JWKS figure: the whole authorization-server bundle (same module load),
 * answering the JWKS the way it did before the public ring was published: build the server as the Lambda entry does,
 * read the signing-key secret from Secrets Manager, import every private JWK of the ring, publish their public halves
 * in schedule order.
 */
import { createAuthorizationServer } from '../lambdas/authorization-server/server';
import { importSigningKey } from '../lambdas/authorization-server/signing-keys';
import { AwsRegistrationStore } from '../lambdas/shared/adapters/aws-registration-store';
import { AwsSecretStore } from '../lambdas/shared/adapters/aws-secret-store';
import { AwsStateStore } from '../lambdas/shared/adapters/aws-state-store';
import { authorizationServerFromEnv } from '../lambdas/shared/config';
import { publicJsonResponse } from '../lambdas/shared/http';
import { loadKeyRing, publicationOrder } from '../lambdas/shared/key-schedule';
import { publicJwkOf } from '../lambdas/shared/public-key-ring';

export { handler } from '../lambdas/authorization-server/index';

export async function privateRingJwks(): Promise<ReturnType<typeof publicJsonResponse>> {
  const { tableName, ...config } = authorizationServerFromEnv();
  const secrets = new AwsSecretStore();
  createAuthorizationServer({
    config,
    secrets,
    registrations: new AwsRegistrationStore({ tableName }),
    state: new AwsStateStore({ tableName }),
  });
  const ring = await loadKeyRing(secrets, config.signingKeySecretId);
  if (!ring) throw new Error('no signing key');
  // The old path imported each private key (to sign with later) before it could publish anything.
  await Promise.all(ring.keys.map(({ jwk }) => importSigningKey(jwk)));
  const keys = publicationOrder(ring, Math.floor(Date.now() / 1000)).map(({ jwk }) => publicJwkOf(jwk));
  return publicJsonResponse(200, { keys }, 60);
}
