// @ts-check
import tseslint from 'typescript-eslint';
import parapet from './scripts/eslint/module-boundaries.js';

export default tseslint.config(
  { ignores: ['node_modules/**', '.parapet/**', 'coverage/**', 'dist/**', 'packages/*/dist/**', 'web/dist/**'] },
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Fastify handlers and hooks are async by contract even when they do not await.
      '@typescript-eslint/require-await': 'off',
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Only src/main.ts reads process.env; pass config down.' }],
    },
  },
  {
    // The module contract: modules meet through each other's index.ts; platform/ knows no module.
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*-test-fixture.ts'],
    plugins: { parapet },
    rules: { 'parapet/module-boundaries': ['error', { srcDir: 'src' }] },
  },
  {
    files: ['src/main.ts', 'scripts/**', 'test/**', 'bench/**', 'bin/**', '**/*.test.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.test.ts', 'test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests assert on values the types already narrow; optional chains there read as intent.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] }],
    },
  },
  { files: ['bin/**', 'eslint.config.js', 'scripts/eslint/**', 'src/modules/console/static/**/*.js', 'src/modules/openid/static/**/*.js'], ...tseslint.configs.disableTypeChecked },
);
