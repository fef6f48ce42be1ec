export * from './grants';
export * from './oauth-registry';
export * from './external-client';
export * from './user-authentication';
export * from './protected-route';
export * from './provider';
export * from './third-party-connection';
export { bundleEntry, type Bundle } from './private/bundle';
export {
  checkAll,
  findLogGroupsWithoutRetention,
  findSecretValues,
  findWildcardDataActions,
  RegistryRulesAspect,
  type Finding,
} from './private/rules';
