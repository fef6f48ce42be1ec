/**
 * The registry's HTTP API: the API, its access-logged and throttled `$default` stage, the custom domain when there is
 * one (which makes the issuer) with its Route 53 alias records when a hosted zone is given, and the JWT authorizers
 * of protected routes.
 */
import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2ApiMapping } from '@cdktf/provider-aws/lib/apigatewayv2-api-mapping';
import { Apigatewayv2Authorizer } from '@cdktf/provider-aws/lib/apigatewayv2-authorizer';
import { Apigatewayv2DomainName } from '@cdktf/provider-aws/lib/apigatewayv2-domain-name';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import type { ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_SECS } from '../../lambdas/shared/cors';
import type { CustomDomainProps } from '../registry-options';

export interface RegistryApiProps {
  readonly namePrefix: string;
  readonly logRetentionDays: number;
  readonly throttlingBurstLimit: number;
  readonly throttlingRateLimit: number;
  readonly customDomain?: CustomDomainProps;
  readonly tags?: Readonly<Record<string, string>>;
  /** Origins browser scripts may call the API from; empty or absent: no CORS configuration. */
  readonly corsAllowedOrigins?: readonly string[];
}

/** The API, its stage and custom domain, created in `scope` (the registry). */
export class RegistryApiParts {
  public readonly api: Apigatewayv2Api;
  public readonly stage: Apigatewayv2Stage;
  /** `https://<customDomain>`, else the API's endpoint. */
  public readonly issuerUrl: string;
  /** The custom domain, when there is one. */
  public readonly domainName?: Apigatewayv2DomainName;
  /** What must exist before the issuer answers on the custom domain: the API mapping and the alias records. */
  public readonly domainReadiness: readonly ITerraformDependable[];
  /**
   * The DNS record the operator creates, with a custom domain but no `hostedZoneId`: the domain's name, to point at
   * API Gateway's target domain name (known once the custom domain exists, during the first apply).
   */
  public readonly dnsRecordToCreate?: { readonly name: string; readonly target: string };

  constructor(scope: Construct, props: RegistryApiProps) {
    const { namePrefix, tags } = props;
    this.api = new Apigatewayv2Api(scope, 'Api', {
      name: `${namePrefix}-api`,
      protocolType: 'HTTP',
      description: `OAuth 2.0 authorization server ${namePrefix}`,
      // API-wide (HTTP APIs have no per-route CORS): API Gateway answers every preflight itself and adds the headers
      // to every response for these origins, protected routes included. No credentials: cookies never go cross-origin.
      ...(props.corsAllowedOrigins?.length
        ? {
            corsConfiguration: {
              allowOrigins: [...props.corsAllowedOrigins],
              allowMethods: [...CORS_ALLOW_METHODS],
              allowHeaders: [...CORS_ALLOW_HEADERS],
              exposeHeaders: [...CORS_EXPOSE_HEADERS],
              maxAge: CORS_MAX_AGE_SECS,
              allowCredentials: false,
            },
          }
        : {}),
      tags,
    });
    const accessLogs = new CloudwatchLogGroup(scope, 'AccessLogs', {
      name: `/aws/apigateway/${namePrefix}-access`,
      retentionInDays: props.logRetentionDays,
      tags,
    });
    this.stage = new Apigatewayv2Stage(scope, 'DefaultStage', {
      apiId: this.api.id,
      name: '$default',
      autoDeploy: true,
      accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
      defaultRouteSettings: { throttlingBurstLimit: props.throttlingBurstLimit, throttlingRateLimit: props.throttlingRateLimit },
      tags,
    });

    if (props.customDomain) {
      const domain = new Apigatewayv2DomainName(scope, 'DomainName', {
        domainName: props.customDomain.domainName,
        domainNameConfiguration: {
          certificateArn: props.customDomain.certificateArn,
          endpointType: 'REGIONAL',
          // IPv4 and IPv6 (the AAAA alias record resolves only to a dualstack domain).
          ipAddressType: 'dualstack',
          securityPolicy: 'TLS_1_2',
        },
        tags,
      });
      this.domainName = domain;
      const mapping = new Apigatewayv2ApiMapping(scope, 'ApiMapping', { apiId: this.api.id, domainName: domain.id, stage: this.stage.id });
      this.domainReadiness = [mapping, ...aliasRecords(scope, domain, props.customDomain)];
      this.issuerUrl = `https://${props.customDomain.domainName}`;
      if (props.customDomain.hostedZoneId === undefined) {
        this.dnsRecordToCreate = { name: props.customDomain.domainName, target: domain.domainNameConfiguration.targetDomainName };
      }
    } else {
      this.domainReadiness = [];
      // An HTTP API's `$default` stage serves at the root of its endpoint, which has no trailing slash.
      this.issuerUrl = this.api.apiEndpoint;
    }
  }
}

/** The A and AAAA alias records of the custom domain in its hosted zone, when `hostedZoneId` is given. */
function aliasRecords(scope: Construct, domain: Apigatewayv2DomainName, props: CustomDomainProps): Route53Record[] {
  if (props.hostedZoneId === undefined) return [];
  const target = domain.domainNameConfiguration;
  return (['A', 'AAAA'] as const).map(
    (type) =>
      new Route53Record(scope, `DomainRecord${type}`, {
        zoneId: props.hostedZoneId!,
        name: props.domainName,
        type,
        alias: { name: target.targetDomainName, zoneId: target.hostedZoneId, evaluateTargetHealth: false },
      }),
  );
}

export interface RegistryAuthorizerProps {
  readonly api: Apigatewayv2Api;
  /** The authorizer's name (unique in the API). */
  readonly name: string;
  readonly issuer: string;
  /** The exact audiences a token must carry one of. */
  readonly audiences: readonly string[];
  /**
   * What must exist before the authorizer: API Gateway reads `<issuer>/.well-known/openid-configuration` (and the
   * JWKS) when it creates or updates a JWT authorizer, and refuses an issuer that does not answer.
   */
  readonly dependsOn: readonly ITerraformDependable[];
}

/** A JWT authorizer of protected routes: tokens of this issuer, for one of exactly `audiences`. */
export function registryAuthorizer(scope: Construct, id: string, props: RegistryAuthorizerProps): Apigatewayv2Authorizer {
  return new Apigatewayv2Authorizer(scope, id, {
    apiId: props.api.id,
    name: props.name,
    authorizerType: 'JWT',
    identitySources: ['$request.header.Authorization'],
    jwtConfiguration: { issuer: props.issuer, audience: [...props.audiences] },
    dependsOn: [...props.dependsOn],
  });
}

/** JSON access log line of the `$default` stage. No Authorization header, no query string, no body. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  clientId: '$context.authorizer.claims.client_id',
  userAgent: '$context.identity.userAgent',
});
