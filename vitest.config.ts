import { readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace packages are imported by name; in tests they resolve to their TypeScript sources so that
// `vitest run` needs no build of the package under test.
const root = fileURLToPath(new URL('.', import.meta.url));
const alias = ['packages', 'services']
  .flatMap((dir) => readdirSync(`${root}/${dir}`).map((name) => ({ dir, name })))
  .concat([{ dir: '.', name: 'gateway' }, { dir: '.', name: 'proto' }, { dir: '.', name: 'embedded' }])
  .filter(({ dir, name }) => existsSync(`${root}/${dir}/${name}/src/index.ts`))
  .map(({ dir, name }) => ({ find: new RegExp(`^@rowline/${name}$`), replacement: `${root}/${dir}/${name}/src/index.ts` }));

// The subpaths of @rowline/testing that load no vitest (plans, lists-bench) resolve to their sources too.
alias.push({ find: /^@rowline\/testing\/(plans|lists-bench)$/, replacement: `${root}/packages/testing/src/$1.ts` });

// Node resolves `graphql` to its CommonJS build (the `main` field) for ESM and CJS alike; vite would pick
// `index.mjs` for our sources, a second graphql realm beside the one @apollo/gateway uses, and the
// gateway's schema would fail graphql's instanceof checks in the subscription layer.
alias.push({ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') });

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['{packages,services,gateway,embedded,proto}/**/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // In CI a JSON report too, from which .ci/run prints a plain "N passed, N failed" closing line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.cache/vitest-report.json' }]] : ['default'],
    globalSetup: ['packages/testing/src/global-setup.ts'],
  },
});
