// npm run bench [-- ROWS] [--reuse-pandas]: builds, then runs the engine benchmark side by side with the
// pandas + openpyxl baseline (../shared/baselines) on the same workbook. Needs python3-pandas and
// python3-openpyxl (Debian packages) for the baseline.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// npm run bench -- subscriptions [options]: gateway/bench/subscriptions-bench.mjs (10,000 sockets need more
// file descriptors than the usual soft limit, so it runs under a raised `ulimit -n`).
if (process.argv[2] === 'subscriptions') {
  execFileSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  const quoted = [process.execPath, '--expose-gc', 'gateway/bench/subscriptions-bench.mjs', ...process.argv.slice(3)].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  execFileSync('sh', ['-c', `ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec ${quoted}`], { cwd: root, stdio: 'inherit' });
  process.exit(0);
}
execFileSync('npx', ['tsc', '-b', 'packages/engine'], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, ['packages/engine/bench/engine-bench.mjs', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
