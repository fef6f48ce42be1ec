// The public API of `oauth-registry`, by name: what README.md documents and what users need to type props. Anything
// else under lib/ is internal, whatever it exports to its neighbours.

export { OAuthRegistry } from './oauth-registry';
export type {
  AlarmThresholds,
  ClientIdMetadataDocumentsOptions,
  CustomDomainProps,
  DynamicClientRegistrationOptions,
  OAuthRegistryProps,
  RegistryAlarmsOptions,
} from './registry-options';
export type {
  IDeclaredClient,
  IDeclaredConnection,
  IDeclaredDataRoute,
  IDeclaredMcpServer,
  IDeclaredRoute,
  IOAuthRegistry,
} from './registry-interface';
export { UserAuthentication, type OidcUserAuthenticationProps } from './user-authentication';

export { ClientAuth, GrantType, OAuthScope, type ClientKeys, type JwtBearerOptions, type ScopeLike } from './client-options';
export { ExternalClient, type ExternalClientOptions, type ExternalClientProps } from './external-client';

export { ProtectedRoute, type ProtectedRouteOptions, type ProtectedRouteProps, type RouteHandlerProps } from './protected-route';
export type { LambdaArchitecture } from './private/registry-function';
export { McpServer, type McpServerOptions, type McpServerProps } from './mcp-server';
export {
  DataRoute,
  DataTarget,
  type DataEventOptions,
  type DataRouteOptions,
  type DataRouteProps,
  type IDataEventBus,
  type IDataQueue,
  type IDataStateMachine,
  type IDataStream,
} from './data-route';

export {
  ConnectionClientAuth,
  ConnectionCredentials,
  ConnectionGrant,
  ConnectionMode,
  Provider,
  type AuthorizationCodeOptions,
  type DiscoverOptions,
  type JwtBearerConnectionOptions,
  type ProviderEndpoints,
  type WriteOnlyCredentialsOptions,
} from './connection-options';
export {
  ThirdPartyConnection,
  type ThirdPartyConnectionOptions,
  type ThirdPartyConnectionProps,
  type TokenAccessGrantee,
} from './third-party-connection';

export type { Grant, Grantee, IGrantable, IGrantPrincipal, RoleReference } from './grant';
export type { PolicyConditionValues, PolicyStatement } from './private/policy-document';

// What synth bundles a handler entry into (the bench measures it through this entry point).
export { bundleEntry, type Bundle } from './private/bundle';
