/**
 * Checks of the whole registry that can only run once every client and route is declared (at synth): duplicate
 * client names, client ids and route keys, a signing-key schedule that could not keep its windows, and API Gateway's
 * quotas for HTTP APIs (errors for the fixed ones, warnings for those AWS can raise); and the warning that spells out
 * the first deploy of a custom domain without a hosted zone.
 */
import { Apigatewayv2Authorizer } from '@cdktf/provider-aws/lib/apigatewayv2-authorizer';
import type { Apigatewayv2DomainName } from '@cdktf/provider-aws/lib/apigatewayv2-domain-name';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Annotations, AnnotationMetadataEntryType, TerraformStack, Token, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { CACHE_TTL_SECS } from '../../lambdas/shared/defaults';
import { GATEWAY_JWKS_CACHE_SECS, keyScheduleProblems, longestAccessTokenTtlSecs } from '../../lambdas/shared/key-schedule';
import { secretNames } from '../../lambdas/shared/names';
import type { IDeclaredClient, IOAuthRegistry } from '../registry-interface';
import { outputName } from './outputs';
import { resolveTokens } from './resolve';

/** Every problem of the declared clients and routes, as messages. */
export function registryProblems(registry: IOAuthRegistry): string[] {
  return [...duplicates(registry), ...keyScheduleProblemsOf(registry), ...httpApiQuotaProblems(registry)];
}

/**
 * Amazon API Gateway's quotas for HTTP APIs (developer guide, "Quotas for configuring and running an HTTP API in API
 * Gateway"), per API. The fixed ones fail synth; the adjustable ones only warn, since an account may have more.
 */
const HTTP_API_QUOTAS = {
  /** "Scopes per route": not adjustable. */
  scopesPerRoute: 10,
  /** "Audiences per authorizer": not adjustable. */
  audiencesPerAuthorizer: 50,
  /** "Integrations per API": not adjustable. */
  integrationsPerApi: 300,
  /** "Routes per API": adjustable (Service Quotas, L-65B5C802). */
  routesPerApi: 300,
  /** "Authorizers per API": adjustable through the AWS Support Center. */
  authorizersPerApi: 10,
} as const;

/** The routes, integrations and authorizers of the registry's API, wherever in the stack they were declared. */
function apiParts(registry: IOAuthRegistry) {
  // Each read of a token attribute is a new token: compare them as Terraform expressions.
  const apiId = resolveTokens(registry, registry.api.id);
  const all = TerraformStack.of(registry).node.findAll();
  const onApi = <T extends { apiIdInput?: string }>(type: abstract new (...args: never[]) => T): T[] =>
    all.filter((node): node is IConstruct & T => node instanceof type && resolveTokens(registry, (node as T).apiIdInput) === apiId);
  return { routes: onApi(Apigatewayv2Route), integrations: onApi(Apigatewayv2Integration), authorizers: onApi(Apigatewayv2Authorizer) };
}

/** The HTTP API quotas AWS cannot raise: a route's scopes, an authorizer's audiences, the API's integrations. */
function httpApiQuotaProblems(registry: IOAuthRegistry): string[] {
  const { routes, integrations, authorizers } = apiParts(registry);
  const q = HTTP_API_QUOTAS;
  const errors: string[] = [];
  for (const route of routes) {
    const scopes = route.authorizationScopesInput;
    if (scopes === undefined || Token.isUnresolved(scopes) || scopes.length <= q.scopesPerRoute) continue;
    errors.push(
      `route "${route.routeKeyInput}" names ${scopes.length} scopes; API Gateway allows at most ${q.scopesPerRoute} ` +
        '("Scopes per route" of HTTP APIs, not adjustable): use fewer, broader scopes',
    );
  }
  for (const authorizer of authorizers) {
    const audiences = authorizer.jwtConfigurationInput?.audience;
    if (audiences === undefined || Token.isUnresolved(audiences) || audiences.length <= q.audiencesPerAuthorizer) continue;
    errors.push(
      `JWT authorizer "${authorizer.nameInput}" accepts ${audiences.length} audiences; API Gateway allows at most ` +
        `${q.audiencesPerAuthorizer} ("Audiences per authorizer" of HTTP APIs, not adjustable)`,
    );
  }
  if (integrations.length > q.integrationsPerApi) {
    errors.push(
      `the registry's API would have ${integrations.length} integrations (one per protected or data route, plus the registry's ` +
        `own); API Gateway allows at most ${q.integrationsPerApi} ("Integrations per API" of HTTP APIs, not adjustable): ` +
        'split the routes over several registries',
    );
  }
  return errors;
}

/**
 * Warns (cdktf annotations, printed by `cdktf synth` and `npm run synth`) about the adjustable quotas and `more`, when
 * synth visits the registry, once every route and authorizer is declared; a repeated synth does not repeat a warning.
 */
export function registryWarningsAspect(registry: IOAuthRegistry, more: () => readonly string[]): IAspect {
  return {
    visit(node) {
      if (node !== registry) return;
      const given = new Set(registry.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => m.data));
      for (const warning of [...httpApiQuotaWarnings(registry), ...more()]) {
        if (!given.has(warning)) Annotations.of(registry).addWarning(warning);
      }
    },
  };
}

/**
 * With a custom domain but no hosted zone, the first deploy cannot converge by itself: API Gateway reads the issuer's
 * discovery document when it creates a JWT authorizer, the issuer is the custom domain, and the DNS record the
 * operator creates must point at a target that exists only once the custom domain does. The steps, exactly.
 */
export function customDomainDnsSteps(props: {
  readonly stackName: string;
  readonly domain: Apigatewayv2DomainName;
  readonly record: { readonly name: string };
  readonly targetOutput: string;
}): string {
  const dir = `cdktf.out/stacks/${props.stackName}`;
  const address = `${props.domain.terraformResourceType}.${props.domain.friendlyUniqueId}`;
  return (
    `customDomain ${props.record.name} has no hostedZoneId, so its DNS record is yours to create, and it must resolve before ` +
    'the JWT authorizers are created (API Gateway reads the issuer then). First deploy: (1) create the custom domain alone: ' +
    `\`cdktf synth && terraform -chdir=${dir} init && terraform -chdir=${dir} apply -target=${address}\`; ` +
    `(2) create a CNAME record ${props.record.name} → the target that prints: \`aws apigatewayv2 get-domain-name --domain-name ` +
    `${props.record.name} --query 'DomainNameConfigurations[0].ApiGatewayDomainName' --output text\` (or alias A/AAAA records ` +
    `to it; later, output ${props.targetOutput}); (3) \`cdktf deploy ${props.stackName}\`. Skipping (1) and (2), the deploy ` +
    'stops at the issuer check naming the record to create; create it and deploy again. Until then the token endpoint, ' +
    "discovery and JWKS answer on the API's execute-api endpoint only, and the protected routes do not exist yet."
  );
}

/** The HTTP API quotas an account can raise: warnings, so a registry over them synthesizes but says what to ask for. */
function httpApiQuotaWarnings(registry: IOAuthRegistry): string[] {
  const { routes, authorizers } = apiParts(registry);
  const q = HTTP_API_QUOTAS;
  const warnings: string[] = [];
  if (routes.length > q.routesPerApi) {
    warnings.push(
      `the registry's API would have ${routes.length} routes, over API Gateway's default quota of ${q.routesPerApi} ` +
        '("Routes per API" of HTTP APIs, adjustable in Service Quotas, L-65B5C802): have it raised for this API before deploying',
    );
  }
  if (authorizers.length > q.authorizersPerApi) {
    warnings.push(
      `the registry's API would have ${authorizers.length} JWT authorizers (one per distinct audience set of the routes), ` +
        `over API Gateway's default quota of ${q.authorizersPerApi} ("Authorizers per API" of HTTP APIs, adjustable ` +
        'through the AWS Support Center): have it raised before deploying, or let routes share audience sets',
    );
  }
  return warnings;
}

function duplicates(registry: IOAuthRegistry): string[] {
  const errors: string[] = [];
  const byName = new Map<string, IDeclaredClient>();
  const byOutput = new Map<string, IDeclaredClient>();
  const byClientId = new Map<string, IDeclaredClient>();
  for (const client of registry.externalClients) {
    const { name, clientId } = client.registration;
    const sameName = byName.get(name);
    if (sameName) {
      errors.push(
        `duplicate external client name "${name}" (${sameName.node.path} and ${client.node.path}): ` +
          `both would use secret "${secretNames.client(registry.namePrefix, name)}"`,
      );
    } else {
      byName.set(name, client);
      const output = outputName(registry.namePrefix, `client-${name}-id`);
      const sameOutput = byOutput.get(output);
      if (sameOutput) {
        errors.push(
          `external clients "${sameOutput.registration.name}" and "${name}" would both have the output "${output}" ` +
            '(Terraform names allow only letters, digits, "_" and "-"); rename one',
        );
      } else byOutput.set(output, client);
    }
    if (clientId.startsWith('dcr-')) errors.push(`clientId "${clientId}": ids starting with "dcr-" are for dynamic registrations`);
    const sameId = byClientId.get(clientId);
    if (sameId) {
      errors.push(`duplicate clientId "${clientId}" (${sameId.node.path} and ${client.node.path})`);
    } else byClientId.set(clientId, client);
  }
  const routeKeys = new Map<string, IConstruct>();
  const declared = [
    ...registry.protectedRoutes.map((route) => [route.routeKey, route] as const),
    ...registry.mcpServers.flatMap((server) => server.routeRegistrations.map((r) => [r.routeKey, server] as const)),
  ];
  for (const [routeKey, owner] of declared) {
    const same = routeKeys.get(routeKey);
    if (same) errors.push(`duplicate route "${routeKey}" (${same.node.path} and ${owner.node.path})`);
    else routeKeys.set(routeKey, owner);
  }
  return errors;
}

/**
 * The signing-key schedule (lambdas/shared/key-schedule.ts) must keep both windows: a key published at least API
 * Gateway's JWKS cache before it signs, and kept as long as the tokens it signed live after it stops.
 */
function keyScheduleProblemsOf(registry: IOAuthRegistry): string[] {
  const clients = registry.externalClients.map((c) => c.registration);
  if ([registry.accessTokenTtlSecs, ...clients.map((c) => c.accessTokenTtlSecs)].some((v) => Token.isUnresolved(v))) return [];
  return keyScheduleProblems({
    rotationDays: registry.signingKeyRotationDays,
    longestTokenTtlSecs: longestAccessTokenTtlSecs({ accessTokenTtlSecs: registry.accessTokenTtlSecs, clients }),
    prePublishSecs: GATEWAY_JWKS_CACHE_SECS,
    cacheTtlSecs: CACHE_TTL_SECS,
  });
}
