// npm run bench [-- ROWS] [--reuse-pandas]: builds, then runs the engine benchmark side by side with the
// pandas + openpyxl baseline (../shared/baselines) on the same workbook. Needs python3-pandas and
// python3-openpyxl (Debian packages) for the baseline.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (process.argv[2] === 'pipeline') {
  // npm run bench -- pipeline: the execution pipeline on Kafka (services/executions/bench/pipeline-bench.mjs).
  execFileSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, ['services/executions/bench/pipeline-bench.mjs', ...process.argv.slice(3)], { cwd: root, stdio: 'inherit' });
} else {
  execFileSync('npx', ['tsc', '-b', 'packages/engine'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, ['packages/engine/bench/engine-bench.mjs', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
}
