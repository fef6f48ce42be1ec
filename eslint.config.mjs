// Lint: typed rules that catch real bugs (floating promises, misused async), import hygiene (order, no cycles), and
// nothing that fights the formatter (prettier owns layout). Import circles: `madge --circular` in `npm run lint`.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdktf.out/', 'dist/', 'bench/.work/', '.oauth-registry/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'import-x/order': [
        'error',
        {
          groups: ['builtin', 'external', 'internal', 'parent', 'sibling', 'index'],
          // The package's own entry points (`oauth-registry/runtime` in the examples) resolve only once dist/ is built:
          // one group either way, so a fresh clone and a built tree order them alike.
          pathGroups: [{ pattern: 'oauth-registry{,/**}', group: 'internal' }],
          pathGroupsExcludedImportTypes: ['builtin'],
          alphabetize: { order: 'asc', caseInsensitive: true },
        },
      ],
      'import-x/no-duplicates': 'error',
    },
  },
  {
    files: ['lambdas/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 250 }] },
  },
  {
    // Handlers are bundled into Lambda: never the constructs, cdktf or a provider.
    files: ['lambdas/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['**/lib', '**/lib/**', 'cdktf', 'cdktf/*', '@cdktf/*', 'cdktn', '@cdktn/*', 'constructs'] },
      ],
    },
  },
  {
    // bin/ floors: local mode, verify's checks and the shared helpers are below the commands, never the reverse.
    files: ['bin/local/**/*.ts', 'bin/verify/**/*.ts', 'bin/shared/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/commands', '**/commands/**'] }] },
  },
  {
    // The bench measures the product as users get it: no test file, no construct internals.
    files: ['bench/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/test/**', '**/lib/private/**'] }] },
  },
  {
    files: ['test/**/*.ts', 'testing/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  prettier,
  {
    // Lines short enough to diff, everywhere but tests: prettier wraps code, this catches the strings and comments it
    // leaves. After `prettier`, which switches `max-len` off.
    files: ['**/*.ts'],
    ignores: ['test/**'],
    rules: { 'max-len': ['error', { code: 140 }] },
  },
);
