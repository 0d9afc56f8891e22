// npm run bench -- gateway: the gateway benchmark (see NAMED below).
// npm run bench [-- ROWS] [--reuse-pandas]: builds, then runs the engine benchmark side by side with the
// pandas + openpyxl baseline (../shared/baselines) on the same workbook. Needs python3-pandas and
// python3-openpyxl (Debian packages) for the baseline.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Named benchmarks: `npm run bench -- gateway [REQUESTS] [ROUNDS]` (gateway/bench/gateway-bench.mjs).
const NAMED = { gateway: { build: ['gateway', 'embedded'], script: 'gateway/bench/gateway-bench.mjs' } };
const named = NAMED[process.argv[2]];
if (named) {
  execFileSync('npx', ['tsc', '-b', ...named.build], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [named.script, ...process.argv.slice(3)], { cwd: root, stdio: 'inherit' });
  process.exit(0);
}
execFileSync('npx', ['tsc', '-b', 'packages/engine'], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, ['packages/engine/bench/engine-bench.mjs', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
