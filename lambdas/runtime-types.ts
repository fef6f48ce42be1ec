/** The shapes API Gateway (HTTP API, payload 2.0, JWT authorizer) hands a protected route's handler, and takes back. */
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
  readonly cookies?: readonly string[];
  readonly body?: string;
  readonly isBase64Encoded: boolean;
  readonly requestContext: {
    readonly requestId: string;
    readonly domainName?: string;
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
  readonly cookies?: readonly string[];
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}
