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
    files: ['src/workflows/**/*.ts'],
    rules: {
      // Workflow code is replayed: no clocks, randomness or I/O outside the workflow APIs.
      'no-restricted-imports': ['error', { patterns: ['mongodb', 'discord.js', 'ollama', 'chromadb', 'pino', 'node:*', 'fs', 'http', '../store/*', '../activities/index'] }],
    },
  },
);
