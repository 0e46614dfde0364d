// Lint: the recommended TypeScript rules, plus the dependency direction of the layout (see README).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'logs/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/actors/**', '**/config/**'], message: 'src/ is the pure domain: it must not import actors/ or config/' },
          { group: ['nact', 'nats', 'winston', 'convict'], message: 'src/ must not import runtime libraries' },
        ],
      }],
    },
  },
  {
    files: ['bin/**/*.js', 'test/**/*.mjs', '.ci/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
