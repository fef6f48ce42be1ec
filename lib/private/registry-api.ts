/**
 * The registry's HTTP API: the API, its access-logged and throttled `$default` stage, the custom domain when there is
 * one (which makes the issuer), and the JWT authorizer of protected routes.
 */
import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2ApiMapping } from '@cdktf/provider-aws/lib/apigatewayv2-api-mapping';
import { Apigatewayv2Authorizer } from '@cdktf/provider-aws/lib/apigatewayv2-authorizer';
import { Apigatewayv2DomainName } from '@cdktf/provider-aws/lib/apigatewayv2-domain-name';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { Lazy } from 'cdktf';
import type { Construct } from 'constructs';
import type { CustomDomainProps } from '../oauth-registry';

export interface RegistryApiProps {
  readonly namePrefix: string;
  readonly logRetentionDays: number;
  readonly throttlingBurstLimit: number;
  readonly throttlingRateLimit: number;
  readonly customDomain?: CustomDomainProps;
  readonly tags?: Readonly<Record<string, string>>;
}

/** The API, its stage and custom domain, created in `scope` (the registry). */
export class RegistryApiParts {
  public readonly api: Apigatewayv2Api;
  public readonly stage: Apigatewayv2Stage;
  /** `https://<customDomain>`, else the API's endpoint. */
  public readonly issuerUrl: string;

  constructor(scope: Construct, props: RegistryApiProps) {
    const { namePrefix, tags } = props;
    this.api = new Apigatewayv2Api(scope, 'Api', {
      name: `${namePrefix}-api`,
      protocolType: 'HTTP',
      description: `OAuth 2.0 authorization server ${namePrefix}`,
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
          securityPolicy: 'TLS_1_2',
        },
        tags,
      });
      new Apigatewayv2ApiMapping(scope, 'ApiMapping', { apiId: this.api.id, domainName: domain.id, stage: this.stage.id });
      this.issuerUrl = `https://${props.customDomain.domainName}`;
    } else {
      // An HTTP API's `$default` stage serves at the root of its endpoint, which has no trailing slash.
      this.issuerUrl = this.api.apiEndpoint;
    }
  }
}

export interface RegistryAuthorizerProps {
  readonly api: Apigatewayv2Api;
  readonly namePrefix: string;
  readonly issuer: string;
  /** The audiences, computed at synth (clients may add theirs after the authorizer exists). */
  readonly audiences: () => string[];
}

/** The JWT authorizer `Authorizer` of protected routes: tokens of this issuer, for one of the audiences. */
export function registryAuthorizer(scope: Construct, props: RegistryAuthorizerProps): Apigatewayv2Authorizer {
  return new Apigatewayv2Authorizer(scope, 'Authorizer', {
    apiId: props.api.id,
    name: `${props.namePrefix}-jwt`,
    authorizerType: 'JWT',
    identitySources: ['$request.header.Authorization'],
    jwtConfiguration: {
      issuer: props.issuer,
      audience: Lazy.listValue({ produce: () => props.audiences() }),
    },
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
