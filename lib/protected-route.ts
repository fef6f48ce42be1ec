/**
 * A route of the registry's HTTP API served by your Lambda handler, reachable only with an access token the
 * registry issued that holds one of the route's scopes (checked by API Gateway's JWT authorizer).
 */
import * as path from 'node:path';
import type { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Construct } from 'constructs';
import type { RouteRegistration } from '../lambdas/shared/manifest';
import { routePath as pathOfRouteKey } from '../lambdas/shared/routes';
import type { ScopeLike } from './client-options';
import type { IGrantable, IGrantPrincipal } from './grant';
import { API_GATEWAY_TIMEOUT_SECS } from './private/connections-infra';
import { entryExports } from './private/entry-exports';
import { routeToFunction } from './private/function-routes';
import { RegistryFunction, type LambdaArchitecture } from './private/registry-function';
import { parseAuthorizedRouteKey, requireCallableRoute, routeScopes, vacantRouteScope, validateAudiences } from './private/route-checks';
import { fitName, toKebab } from './private/validate';
import type { IOAuthRegistry } from './registry-interface';

/** Your Lambda handler for a protected route. */
export interface RouteHandlerProps {
  /** Source file of the handler, relative to the app's directory (the current directory at synth) or absolute. */
  readonly entry: string;
  /** Exported function to invoke. @default 'handler' */
  readonly exportName?: string;
  /** Memory of the function, in MB (128 to 10240). @default 256 */
  readonly memorySizeMb?: number;
  /**
   * Timeout of the function, in seconds (1 to 30: API Gateway waits 30 s at most).
   * @default 10; 29 once `connection.grantTokenAccess(route)` is called (`TOKEN_ACCESS_HANDLER_TIMEOUT_SECS`: a token
   * renewal may take 26.25 s, and API Gateway's 30 s also counts its own time)
   */
  readonly timeoutSecs?: number;
  /** Extra environment variables. @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * The processor the handler runs on: `x86_64` when it bundles a native module built for it (the registry's own
   * functions are plain JavaScript and always run on arm64). @default 'arm64' (Graviton: about 20% less per GB-second)
   */
  readonly architecture?: LambdaArchitecture;
}

/** What you declare about a protected route (`registry.addRoute(routeKey, options)`). */
export interface ProtectedRouteOptions {
  readonly handler: RouteHandlerProps;
  /** Any-of scopes: a token needs at least one of them. At least one scope. */
  readonly scopes: readonly ScopeLike[];
  /**
   * The audiences the route accepts: a token's `aud` must hold one of exactly these (RFC 9068 §4), so a token minted
   * for another API (a client's own `audience`) does not open this route unless the route names it.
   * @default the registry's own audience only (its `audience` prop, else the issuer)
   */
  readonly audiences?: readonly string[];
}

export interface ProtectedRouteProps extends ProtectedRouteOptions {
  readonly registry: IOAuthRegistry;
  /** API Gateway route key `METHOD /path`, e.g. `GET /v1/incidents/{id}`. */
  readonly routeKey: string;
}

/** A route of the registry's API behind its JWT authorizer, served by a bundled Lambda handler. */
export class ProtectedRoute extends Construct implements IGrantable {
  public readonly routeKey: string;
  /** The audiences the route accepts; undefined: the registry's own audience. */
  public readonly audiences?: readonly string[];
  /** The route as local mode serves it (also in the manifest). */
  public readonly registration: RouteRegistration;
  /** The handler's function, role and log group. */
  public readonly handler: RegistryFunction;
  /** The API Gateway route. */
  public readonly route: Apigatewayv2Route;

  constructor(scope: Construct, id: string, props: ProtectedRouteProps) {
    super(vacantRouteScope(scope, id, props.routeKey), id);
    const { registry } = props;
    const { method, path: routePath } = parseAuthorizedRouteKey(props.routeKey);
    const where = `route "${props.routeKey}"`;
    const scopes = routeScopes(where, props.scopes);
    const handler = props.handler;
    const exportName = validateHandler(where, handler);
    const audiences = props.audiences === undefined ? undefined : validateAudiences(where, props.audiences);
    this.routeKey = props.routeKey;
    this.audiences = audiences;
    this.registration = {
      routeKey: props.routeKey,
      scopes,
      handler: { entry: handler.entry, exportName },
      ...(audiences !== undefined ? { audiences } : {}),
    };

    this.handler = handlerFunction(this, registry, id, handler, `Handler of ${props.routeKey}`);
    const sourcePath = routePath.replace(/\{[^}]+\}/g, '*');
    const { routes } = routeToFunction(this, {
      api: registry.api,
      handler: this.handler,
      integrationId: 'Integration',
      routes: [
        {
          id: 'Resource',
          routeKey: props.routeKey,
          authorization: { authorizationType: 'JWT', authorizerId: registry.authorizerFor(audiences).id, authorizationScopes: scopes },
        },
      ],
      permissionId: 'InvokePermission',
      sourceArn: `${registry.api.executionArn}/*/${method === 'ANY' ? '*' : method}${sourcePath}`,
    });
    this.route = routes[0]!;
    registry.addOutput(this, 'Url', `route-${id}-url`, `${registry.issuer}${pathOfRouteKey(props.routeKey)}`, `URL of ${props.routeKey}`);

    requireCallableRoute(this, registry, where, scopes, audiences);
    registry.registerRoute(this);
  }

  /** Grants (`connection.grantTokenAccess(route)`…) go to the handler's role, inline policy and environment. */
  public get grantPrincipal(): IGrantPrincipal {
    return this.handler;
  }
}

/** Checks a handler's props at synth (an entry exporting the function, a timeout API Gateway allows); its export name. */
export function validateHandler(where: string, handler: RouteHandlerProps): string {
  if (!handler || typeof handler.entry !== 'string' || handler.entry.length === 0) {
    throw new Error(`${where}: handler.entry must be the path of a source file, got ${JSON.stringify(handler?.entry)}`);
  }
  const exportName = handler.exportName ?? 'handler';
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(exportName)) {
    throw new Error(`${where}: handler.exportName must be a JavaScript identifier, got "${exportName}"`);
  }
  if (handler.timeoutSecs !== undefined && handler.timeoutSecs > API_GATEWAY_TIMEOUT_SECS) {
    throw new Error(
      `${where}: handler.timeoutSecs must be at most ${API_GATEWAY_TIMEOUT_SECS} (API Gateway's limit), got ${handler.timeoutSecs}`,
    );
  }
  const exported = entryExports(path.resolve(handler.entry));
  if (exported && !exported.includes(exportName)) {
    throw new Error(
      `${where}: handler.entry "${handler.entry}" exports no "${exportName}" (it exports: ${exported.join(', ')}); ` +
        'set handler.exportName to one of them',
    );
  }
  return exportName;
}

/** The bundled function serving a route (or an MCP server) with the user's handler, named after construct `id`. */
export function handlerFunction(
  scope: Construct,
  registry: IOAuthRegistry,
  id: string,
  handler: RouteHandlerProps,
  description: string,
): RegistryFunction {
  return new RegistryFunction(scope, 'Handler', {
    functionName: fitName(`${registry.namePrefix}-${toKebab(id)}`, 64),
    description: `${description} on OAuth registry ${registry.namePrefix}`,
    entry: path.resolve(handler.entry),
    exportName: handler.exportName ?? 'handler',
    memorySizeMb: handler.memorySizeMb,
    timeoutSecs: handler.timeoutSecs,
    environment: handler.environment,
    architecture: handler.architecture,
    logRetentionDays: registry.logRetentionDays,
    tags: Object.keys(registry.tags).length > 0 ? registry.tags : undefined,
  });
}
