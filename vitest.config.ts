import { readdirSync, existsSync } from 'node:fs';
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
