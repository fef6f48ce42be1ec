export * from './grants';
export * from './oauth-registry';
export * from './external-client';
export * from './protected-route';
export { bundleEntry, type Bundle } from './private/bundle';
export {
  checkAll,
  findLogGroupsWithoutRetention,
  findSecretValues,
  findWildcardDataActions,
  RegistryRulesAspect,
  type Finding,
} from './private/rules';
