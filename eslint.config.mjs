import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layers that everything else builds on: they never import the layers above them. */
const LOWER_LAYERS = ['store', 'knowledge', 'llm', 'discord'];
const UPPER_LAYERS = ['workflows', 'activities', 'stack', 'admin', 'bots'];

/** What workflow code may import (regular expressions): the SDK, its own folder, pure leaf modules. */
const WORKFLOW_IMPORTS = [
  '@temporalio/workflow',
  '@temporalio/common',
  '\\./[\\w.-]+',
  '\\./contracts/[\\w.-]+',
  '\\.\\./discord/snowflake',
  '\\.\\./characters/names',
  '\\.\\./store/sessionId',
  '\\.\\./prompts/review',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'dashboard/dist/',
      '.data/',
      'coverage/',
      'jest.config.js',
      'eslint.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      // Library enums are compared with the strings and numbers they stand for (domhandler's node
      // types, discord-api-types' opcodes read from JSON): correct, and not worth a cast each.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      'no-console': 'error',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // expect.any(...) and friends are typed any; jest mocks are async without awaiting and pass
      // methods around unbound.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Benchmarks print their numbers.
    files: ['bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  ...LOWER_LAYERS.map((layer) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: UPPER_LAYERS.flatMap((upper) => [`../${upper}`, `../${upper}/*`]),
              message: `src/${layer}/ is a lower layer: it must not depend on workflows, activities, the stack, the admin API or the bots. Move what it needs down.`,
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      // Workflow code is replayed: no clocks, randomness or I/O outside the workflow APIs. So it
      // imports only the workflow SDK, its own folder and the pure leaf modules listed here; from
      // anywhere else, types only.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Anything but these (a negative lookahead: an allowlist).
              regex: `^(?!(${WORKFLOW_IMPORTS.join('|')})$)`,
              message:
                'Workflow code may import only the workflow SDK, src/workflows/ and pure leaf modules.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
