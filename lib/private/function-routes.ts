/**
 * Routes of the registry's HTTP API served by one function: a Lambda proxy integration (payload 2.0), the routes
 * targeting it, and the permission that lets API Gateway invoke the function.
 */
import type { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route, type Apigatewayv2RouteConfig } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import type { Construct } from 'constructs';
import type { RegistryFunction } from './registry-function';

/** How a route is authorized. @default none set: API Gateway's `NONE` */
export type RouteAuthorization = Pick<Apigatewayv2RouteConfig, 'authorizationType' | 'authorizerId' | 'authorizationScopes'>;

export interface FunctionRoute {
  /** Construct id of the route (part of the ID tree: renaming one replaces the route). */
  readonly id: string;
  /** `METHOD /path`. */
  readonly routeKey: string;
  readonly authorization?: RouteAuthorization;
}

export interface FunctionRoutesProps {
  readonly api: Apigatewayv2Api;
  readonly handler: RegistryFunction;
  /** Construct id of the integration. */
  readonly integrationId: string;
  readonly routes: readonly FunctionRoute[];
  /** Construct id of the Lambda permission. */
  readonly permissionId: string;
  /** The execute-api ARNs that may invoke the function (`<executionArn>/<stage>/<method><path>`, wildcards allowed). */
  readonly sourceArn: string;
}

export interface FunctionRoutes {
  readonly integration: Apigatewayv2Integration;
  readonly routes: readonly Apigatewayv2Route[];
  readonly permission: LambdaPermission;
}

/** Serves `props.routes` of `props.api` with `props.handler`; every resource is created in `scope`. */
export function routeToFunction(scope: Construct, props: FunctionRoutesProps): FunctionRoutes {
  const { api, handler } = props;
  const integration = new Apigatewayv2Integration(scope, props.integrationId, {
    apiId: api.id,
    integrationType: 'AWS_PROXY',
    integrationUri: handler.function.invokeArn,
    integrationMethod: 'POST',
    payloadFormatVersion: '2.0',
  });
  const routes = props.routes.map(
    (route) =>
      new Apigatewayv2Route(scope, route.id, {
        apiId: api.id,
        routeKey: route.routeKey,
        target: `integrations/${integration.id}`,
        ...route.authorization,
      }),
  );
  const permission = new LambdaPermission(scope, props.permissionId, {
    functionName: handler.function.functionName,
    action: 'lambda:InvokeFunction',
    principal: 'apigateway.amazonaws.com',
    sourceArn: props.sourceArn,
  });
  return { integration, routes, permission };
}
