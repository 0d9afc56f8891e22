// npm run bench [-- ROWS] [--reuse-pandas]: builds, then runs the engine benchmark side by side with the
// pandas + openpyxl baseline (../shared/baselines) on the same workbook. Needs python3-pandas and
// python3-openpyxl (Debian packages) for the baseline.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// `npm run bench -- delivery [N]`: webhook deliveries/s with 2 workers beside 1 (services/delivery/bench).
if (process.argv[2] === 'delivery') {
  execFileSync('npx', ['tsc', '-b', 'services/delivery', 'services/files'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, ['services/delivery/bench/delivery-bench.mjs', ...process.argv.slice(3)], { cwd: root, stdio: 'inherit' });
  process.exit(0);
}
execFileSync('npx', ['tsc', '-b', 'packages/engine'], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, ['packages/engine/bench/engine-bench.mjs', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
