import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'coverage/', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Benchmarks print their numbers.
    files: ['bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      // Workflow code is replayed: no clocks, randomness or I/O outside the workflow APIs,
      // so only types may come from the I/O modules.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'mongodb',
                'discord.js',
                'ollama',
                'chromadb',
                'pino',
                'node:*',
                '../store/*',
                '../activities*',
                '../llm/*',
              ],
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
