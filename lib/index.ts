export * from './client-options';
export * from './oauth-registry';
export * from './registry-options';
export * from './external-client';
export * from './user-authentication';
export * from './protected-route';
export * from './mcp-server';
export * from './data-route';
export * from './connection-options';
export * from './third-party-connection';
export * from './grant';
export { bundleEntry, type Bundle } from './private/bundle';
export { escapeTemplates } from './private/registration-item';
export {
  checkAll,
  findLogGroupsWithoutRetention,
  findRegistrationWrites,
  findSecretValues,
  findUnscopedTableReads,
  findWildcardDataActions,
  RegistryRulesAspect,
  type CheckOptions,
  type Finding,
  type RegistryTableRef,
} from './private/rules';
export type { LambdaArchitecture } from './private/registry-function';
