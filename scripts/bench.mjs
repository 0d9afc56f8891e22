// npm run bench [-- ROWS] [--reuse-pandas]: builds, then runs the engine benchmark side by side with the
// pandas + openpyxl baseline (../shared/baselines) on the same workbook. Needs python3-pandas and
// python3-openpyxl (Debian packages) for the baseline.
// npm run bench -- NAME [options]: one of the named benchmarks below; each prints its own baseline beside it.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const NAMED = {
  auth: 'gateway/bench/auth-bench.mjs',                    // argon2id per log-in; gateway req/s, auth on vs off
  gateway: 'gateway/bench/gateway-bench.mjs',              // limits on vs off vs a bare @apollo/gateway
  partner: 'gateway/bench/partner-bench.mjs',              // /partner/graphql with key checks beside /graphql
  'partner-shapes': 'gateway/bench/partner-shapes-bench.mjs', // deep, aliased, wide partner queries: CPU, planning, bytes
  subscriptions: 'gateway/bench/subscriptions-bench.mjs',  // concurrent sockets, event-to-client latency
  keyed: 'packages/bus/bench/keyed-bench.mjs',              // the keyed subscriber's CPU with messages in flight, builds side by side
  pipeline: 'services/executions/bench/pipeline-bench.mjs', // runs/s and start-to-succeeded latency on Kafka
  accept: 'services/executions/bench/accept-bench.mjs',     // CPU ms per accepted run in the API process
  delivery: 'services/delivery/bench/delivery-bench.mjs',   // deliveries/s to a local webhook, 1 vs 2 workers
  files: 'services/files/bench/files-bench.mjs',            // upload MB/s and RSS, inspection time
  'engine-small': 'packages/engine/bench/engine-small.mjs', // CPU ms per run of a 100-row workflow (the pipeline's case)
  'engine-csv': 'packages/engine/bench/csv-read.mjs',       // the csv reader alone: rows/s and MB/s, builds side by side
};

// npm run bench -- lists SERVICE: each list's page and count planned and run on a scratch database of 200,000 rows
// of one tenant (services/SERVICE/bench/lists-bench.mjs; DATABASE_URL names the server).
const LISTS = ['auth', 'workflows', 'executions', 'files', 'delivery'];

const run = (args) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
const name = process.argv[2];
if (name === 'lists' && !LISTS.includes(process.argv[3])) {
  console.error(`npm run bench -- lists SERVICE [--rounds N] [--keep] [--json FILE]: SERVICE is one of ${LISTS.join(', ')}`);
  process.exit(2);
}
const script = name === 'lists' ? `services/${process.argv[3]}/bench/lists-bench.mjs` : NAMED[name];
const scriptArgs = process.argv.slice(name === 'lists' ? 4 : 3);

if (!script) {
  execFileSync('npx', ['tsc', '-b', 'packages/engine'], { cwd: root, stdio: 'inherit' });
  run(['packages/engine/bench/engine-bench.mjs', ...process.argv.slice(2)]);
} else if (name === 'subscriptions') {
  // 10,000 sockets need more file descriptors than the usual soft limit: run under a raised `ulimit -n`.
  execFileSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  const quoted = [process.execPath, '--expose-gc', script, ...process.argv.slice(3)].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  execFileSync('sh', ['-c', `ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec ${quoted}`], { cwd: root, stdio: 'inherit' });
} else {
  execFileSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  run([script, ...scriptArgs]);
}
