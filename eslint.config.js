// Lint runs in CI before the tests. typescript-eslint's recommended rules plus the
// one architectural rule a linter can enforce cheaply: no deep imports into the
// framework package from the reference app (it must use the public entry points).
// bench/ is exempt: it assembles a service from framework internals to time the call path.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/.data/**', 'coverage/**', '**/dist/**', '**/.next/**', '**/next-env.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The dashboard's pages: plain ES modules run by the browser (no bundler, no Node).
    files: ['packages/cleave/assets/dashboard/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(['window', 'document', 'location', 'history', 'sessionStorage', 'fetch', 'Node', 'Element', 'URLSearchParams', 'setTimeout'].map((name) => [name, 'readonly'])),
    },
  },
  {
    files: ['examples/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@cleavejs/core/src/*', '@cleavejs/core/dist/*', '**/packages/cleave/src/*', '**/packages/cleave/dist/*'], message: 'Import from "@cleavejs/core" (its public entries), not its internals.' }] }],
    },
  },
);
