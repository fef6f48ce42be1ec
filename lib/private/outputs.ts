/**
 * Names of the registry's Terraform outputs: `<namePrefix>-<suffix>`, stable whatever the construct path, so scripts
 * can read them with `terraform output -raw <name>`.
 */
import type { Apigatewayv2DomainName } from '@cdktf/provider-aws/lib/apigatewayv2-domain-name';
import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { SERVER_ROUTES, routePath } from '../../lambdas/shared/routes';
import type { IOAuthRegistry } from '../registry-interface';

/** Characters of a Terraform identifier (an output name): letters, digits, `_` and `-`, not starting with a digit or `-`. */
const IDENTIFIER_CHAR = /[^A-Za-z0-9_-]/g;

/**
 * `<namePrefix>-<suffix>`, with every character Terraform does not allow in a name (e.g. `.`, `@`, `+`, `=` of a
 * client name) replaced by `_`, and `_` put in front when the name would start with a digit or `-` (a namePrefix
 * like `1password` gives `_1password-issuer`).
 */
export function outputName(namePrefix: string, suffix: string): string {
  const name = `${namePrefix}-${suffix}`.replace(IDENTIFIER_CHAR, '_');
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}

/** A Terraform output whose name is `name` whatever its construct path. */
export function registryOutput(scope: Construct, id: string, name: string, value: string, description: string): TerraformOutput {
  const output = new TerraformOutput(scope, id, { value, description });
  output.overrideLogicalId(name);
  return output;
}

/** The registry's own outputs: issuer, endpoints, and where a custom domain's DNS records must point. */
export function addRegistryOutputs(registry: IOAuthRegistry, domainName: Apigatewayv2DomainName | undefined): void {
  const out = (id: string, suffix: string, value: string, description: string) =>
    registry.addOutput(registry, id, suffix, value, description);
  out('Issuer', 'issuer', registry.issuer, 'OAuth 2.0 issuer identifier');
  out('TokenEndpoint', 'token-endpoint', registry.tokenEndpoint, 'OAuth 2.0 token endpoint');
  out('JwksUri', 'jwks-uri', registry.jwksUri, 'JSON Web Key Set of the issuer');
  if (registry.userAuthentication) {
    const at = (route: string) => `${registry.issuer}${routePath(route)}`;
    const signIn = 'OAuth 2.0 authorization endpoint (users sign in through the upstream OpenID provider)';
    out('AuthorizeEndpoint', 'authorize-endpoint', at(SERVER_ROUTES.authorize), signIn);
    const redirect = 'Redirect URI to register at the upstream OpenID provider';
    out('UserAuthenticationRedirectUri', 'user-authentication-redirect-uri', at(SERVER_ROUTES.callback), redirect);
  }
  const target = domainName?.domainNameConfiguration;
  if (!target) return;
  const alias = 'API Gateway domain name the custom domain resolves to (alias or CNAME target)';
  out('CustomDomainTarget', 'custom-domain-target', target.targetDomainName, alias);
  const zone = 'Route 53 hosted zone id of the API Gateway domain name (for an alias record)';
  out('CustomDomainHostedZoneId', 'custom-domain-hosted-zone-id', target.hostedZoneId, zone);
}
