/**
 * `oauth-registry/runtime`: what your handlers import at run time. Nothing here imports cdktf, constructs or a
 * provider, so a handler's bundle stays small (the AWS SDK is left to the Lambda runtime).
 *
 * - `getConnectionToken(name, { subject })`: a fresh access token of a third-party connection, from the broker.
 * - `connectionFetch(name, path, init)`: call the provider's API through the registry's proxy (SigV4-signed).
 * - `ProtectedRouteEvent` / `ProtectedRouteClaims`: the event API Gateway hands a protected route's handler.
 */
export { ConnectionTokenError, getConnectionToken, type ConnectionToken, type GetConnectionTokenOptions } from './connections/client';
export type { ConnectionErrorCode } from './connections/errors';
export {
  connectionFetch,
  connectionProxyUrl,
  PROXY_SUBJECT_HEADER,
  signRequest,
  type AwsCredentials,
  type ConnectionFetchOptions,
  type SignRequestInput,
} from './connections/proxy-client';
import { ENV } from './shared/names';

/** The environment variable `getConnectionToken` reads: the name of the registry's connections function (the broker). */
export const CONNECTIONS_FUNCTION_ENV = ENV.CONNECTIONS_FUNCTION;

/** The environment variable `connectionFetch` reads: the registry's URL (its issuer). */
export const PROXY_BASE_URL_ENV = ENV.ISSUER;

/** The verified claims of the access token that opened a protected route (API Gateway passes them as strings). */
export interface ProtectedRouteClaims {
  /** The client the token was issued to. */
  readonly client_id: string;
  /** Space-separated scopes the token carries. */
  readonly scope?: string;
  /** The client id, or `<issuer>|<sub>` of the user the token acts for. */
  readonly sub?: string;
  readonly iss?: string;
  readonly aud?: string;
  readonly exp?: string | number;
  readonly iat?: string | number;
  readonly jti?: string;
  readonly [claim: string]: string | number | boolean | readonly string[] | undefined;
}

/** What a protected route's handler receives (API Gateway HTTP API, payload 2.0, JWT authorizer). */
export interface ProtectedRouteEvent {
  readonly version: '2.0';
  readonly routeKey: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>>;
  readonly pathParameters?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded: boolean;
  readonly requestContext: {
    readonly requestId: string;
    readonly routeKey: string;
    readonly http: { readonly method: string; readonly path: string; readonly sourceIp: string; readonly userAgent: string };
    readonly authorizer: {
      readonly jwt: { readonly claims: ProtectedRouteClaims; readonly scopes: readonly string[] | null };
    };
  };
}

/** What a protected route's handler returns (payload 2.0). */
export interface ProtectedRouteResult {
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}
