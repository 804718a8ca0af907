// ESLint: type-checked typescript-eslint rules, plus the one tensor boundary (DESIGN.md 5.1):
// only src/tensor/ may import the native addon.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native/build/**', 'coverage/**', 'scripts/*.mjs', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/native.js', '**/native', '**/*.node', '**/native/build/**'], message: 'Only src/tensor/ may import the native addon; use the Tensor API.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/tensor/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
