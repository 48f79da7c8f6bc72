import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers of docs/architecture.md, as the folders each may not import from. A layer's own
 * folder and the ones below it are allowed; the composition root (`gateway.ts` and its parts in
 * `composition/`), `main.ts`, `cli.ts` and `app.ts` wire everything and are not listed.
 */
const LAYERS = {
  domain: ['dialects', 'services', 'engines', 'images', 'store', 'queue', 'blobs', 'events', 'rate-limits', 'http', 'lib', 'config'],
  lib: ['dialects', 'services', 'engines', 'images', 'store', 'queue', 'blobs', 'events', 'rate-limits', 'http', 'config', 'domain'],
  config: ['dialects', 'services', 'engines', 'images', 'store', 'queue', 'blobs', 'events', 'rate-limits', 'http', 'lib'],
  images: ['dialects', 'services', 'engines', 'store', 'queue', 'blobs', 'events', 'rate-limits', 'http', 'config'],
  engines: ['dialects', 'services', 'store', 'queue', 'blobs', 'events', 'rate-limits', 'http', 'config'],
  store: ['dialects', 'services', 'engines', 'images', 'queue', 'blobs', 'events', 'rate-limits', 'http', 'config'],
  queue: ['dialects', 'services', 'engines', 'images', 'store', 'blobs', 'events', 'rate-limits', 'http', 'config', 'domain'],
  blobs: ['dialects', 'services', 'engines', 'images', 'store', 'queue', 'events', 'rate-limits', 'http', 'config'],
  events: ['dialects', 'services', 'engines', 'images', 'store', 'queue', 'blobs', 'rate-limits', 'http', 'config'],
  'rate-limits': ['dialects', 'services', 'engines', 'images', 'store', 'queue', 'blobs', 'events', 'http', 'config'],
  dialects: ['engines', 'store', 'queue', 'blobs', 'rate-limits', 'http', 'config', 'images'],
  services: ['dialects', 'http', 'config'],
  http: ['config'],
  // The client ships alone (packages/client): nothing else from src/.
  client: ['dialects', 'services', 'engines', 'images', 'store', 'queue', 'blobs', 'events', 'rate-limits', 'http', 'lib', 'config', 'domain', 'cli', 'composition'],
};
/** The engines' option schemas (zod only, no engine code): the config file's `engines` section reads them. */
const ENGINE_OPTIONS = ['./options.ts', './option-fields.ts', ...['local', 'dashscope', 'openai-compatible', 'fal', 'comfyui'].map((type) => `./${type}/options.ts`)];
const zones = Object.entries(LAYERS).flatMap(([target, from]) =>
  from.map((folder) => ({
    target: `./src/${target}`,
    from: `./src/${folder}`,
    ...(target === 'config' && folder === 'engines' ? { except: ENGINE_OPTIONS } : {}),
    message: `src/${target} may not import this layer (docs/architecture.md, "Layers").`,
  })),
);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'web/dist/**', 'packages/*/dist/**', 'test-artifacts/**', 'out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', performance: 'readonly', FormData: 'readonly', Blob: 'readonly', File: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // The server's SQLite driver groups commits; a controlled transaction's commit would be
      // answered before its group's COMMIT (src/store/sqlite-group-commit.ts).
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='startTransaction']", message: 'Use db.transaction().execute(): controlled transactions bypass group commit.' },
      ],
    },
  },
  // Type-aware rules over src/: floating and misused promises, unsafe any, needless assertions.
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: ['src/**/*.ts'] })),
  {
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Seams are async by contract (an in-memory queue implements the same interface as BullMQ,
      // fastify plugins are async functions): an implementation without an await is no mistake.
      '@typescript-eslint/require-await': 'off',
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            ...zones,
            // Services and HTTP ask the store through its ports; the composition root picks the implementation.
            { target: ['./src/services', './src/http', './src/app.ts'], from: './src/store', except: ['./ports.ts'], message: 'import the store\'s ports (src/store/ports.ts), not an implementation.' },
          ],
        },
      ],
    },
  },
  {
    // The web pages run in the browser.
    files: ['web/**/*.ts'],
    languageOptions: {
      globals: { window: 'readonly', document: 'readonly', navigator: 'readonly', location: 'readonly', history: 'readonly', localStorage: 'readonly', sessionStorage: 'readonly', crypto: 'readonly', matchMedia: 'readonly', Image: 'readonly', FileReader: 'readonly', DOMException: 'readonly', HTMLElement: 'readonly', Event: 'readonly', PointerEvent: 'readonly', URLSearchParams: 'readonly' },
    },
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    // Tests read arbitrary JSON answers; `any` stays out of src/ only.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
