// ESLint flat config: type-aware rules for all TypeScript, plus a hard ban on
// Node built-ins (and I/O libraries) inside deterministic workflow code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => (m.startsWith('node:') ? [m] : [m, `node:${m}`, `${m}/*`]));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.temporal/**', '.demo/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'workflow code must be deterministic: Node built-ins are not allowed in src/workflows',
          })),
          patterns: [
            {
              group: ['got', '**/lifetime/client*', '**/lifetime/http*', '**/simulator/**'],
              message: 'workflow code must not do I/O: import only types from activities/lifetime',
              allowTypeImports: true,
            },
            {
              group: ['luxon', 'cron-parser', '**/windows/compute*'],
              message: 'window arithmetic runs in a local activity (src/activities/windows.ts), not in workflow code',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
