#!/usr/bin/env node
// A real S3-compatible server (S3Proxy from Maven Central, filesystem backend) on the local JVM, for tests
// and development.
//
//   node scripts/s3/server.mjs provision   download the S3Proxy jar into the cache (reused when present)
//   node scripts/s3/server.mjs start       provision, then run S3Proxy on 127.0.0.1 and a free port until
//                                          Ctrl-C; prints the S3_* variables to use it
//     --json                 print one JSON line {"endpoint", "region", "accessKeyId", ...} instead (for programs)
//     --until-stdin-closes   also stop when stdin closes: a parent that dies, even by SIGKILL, takes the
//                            server with it
import { findJava, provision, S3PROXY_VERSION } from './provision.mjs';
import { startS3Proxy } from './run.mjs';

const [command, ...flags] = process.argv.slice(2);
// A parent that died closes our pipes; a write to them must not kill us before the server is cleaned up.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
const log = (line) => process.stderr.write(`[s3] ${line}\n`);
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

async function main() {
  if (command === 'provision') {
    const since = Date.now();
    const jar = provision({ log });
    log(`S3Proxy ${S3PROXY_VERSION} ready in ${jar} (${seconds(since)})`);
    return;
  }
  if (command !== 'start') {
    process.stderr.write('usage: node scripts/s3/server.mjs provision | start [--json] [--until-stdin-closes]\n');
    process.exit(2);
  }
  const since = Date.now();
  const jar = provision({ log });
  const server = await startS3Proxy({ java: findJava(), jar });
  log(`S3Proxy ${S3PROXY_VERSION} started in ${seconds(since)} at ${server.endpoint}`);
  const { endpoint, region, accessKeyId, secretAccessKey } = server;
  if (flags.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ endpoint, region, accessKeyId, secretAccessKey, version: S3PROXY_VERSION, pid: server.pid })}\n`);
  } else {
    process.stdout.write(`S3_ENDPOINT=${endpoint}\nS3_REGION=${region}\nS3_ACCESS_KEY_ID=${accessKeyId}\nS3_SECRET_ACCESS_KEY=${secretAccessKey}\n`);
  }

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
    log(`S3Proxy exited by itself (${code ?? signal})`);
    process.exit(1);
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
