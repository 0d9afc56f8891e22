// The command line both local JVM servers share (scripts/kafka/broker.mjs, scripts/s3/server.mjs):
//
//   <script> provision   download what the server needs into the cache (reused when present)
//   <script> start       provision, then run the server on 127.0.0.1 until Ctrl-C; prints its variables
//     --json                 print one JSON line instead (for programs)
//     --until-stdin-closes   also stop when stdin closes: a parent that dies, even by SIGKILL, takes the
//                            server with it

/**
 * Runs the command of process.argv for one server. `provision(log)` fetches its files and answers a line
 * saying what is ready; `start(log)` starts it and answers the server ({ stop(), exited }), a line saying
 * it started, its variables (`env`, NAME=value lines) and its `json` description.
 */
export function runServerCli({ tag, usage, provision, start }) {
  const [command, ...flags] = process.argv.slice(2);
  // A parent that died closes our pipes; a write to them must not kill us before the server is cleaned up.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const log = (line) => process.stderr.write(`[${tag}] ${line}\n`);
  const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

  async function main() {
    if (command === 'provision') {
      const since = Date.now();
      log(`${provision(log)} (${seconds(since)})`);
      return;
    }
    if (command !== 'start') {
      process.stderr.write(`usage: ${usage} provision | start [--json] [--until-stdin-closes]\n`);
      process.exit(2);
    }
    const since = Date.now();
    const { server, started, env, json } = await start(log);
    log(`${started} in ${seconds(since)}`);
    process.stdout.write(flags.includes('--json') ? `${JSON.stringify(json)}\n` : `${Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);

    let stopping;
    const stop = (reason) => {
      stopping ??= (async () => {
        log(`stopping (${reason})`);
        await server.stop();
        process.exit(0);
      })();
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    if (flags.includes('--until-stdin-closes')) {
      process.stdin.on('end', () => stop('stdin closed'));
      process.stdin.on('error', () => stop('stdin closed'));
      process.stdin.resume();
    }
    const { code, signal } = await server.exited;
    if (!stopping) {
      log(`it exited by itself (${code ?? signal})${server.logFile ? `; see ${server.logFile}` : ''}`);
      process.exit(1);
    }
  }

  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
