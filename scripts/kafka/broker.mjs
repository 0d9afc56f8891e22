#!/usr/bin/env node
// A real Apache Kafka broker from its Maven Central jars, on the local JVM, for tests and development.
//
//   node scripts/kafka/broker.mjs provision   download the broker's jars into the cache (reused when present)
//   node scripts/kafka/broker.mjs start       provision, then run a single-node KRaft broker on 127.0.0.1
//                                              until Ctrl-C; prints KAFKA_BROKERS=...
//     --json                 print one JSON line {"brokers": [...], ...} on stdout instead (for programs)
//     --until-stdin-closes   also stop when stdin closes: a parent that dies, even by SIGKILL, takes the
//                            broker with it
import { findJava, kafkaVersion, provision } from './provision.mjs';
import { startBroker } from './server.mjs';

const [command, ...flags] = process.argv.slice(2);
// A parent that died closes our pipes; a write to them must not kill us before the broker is cleaned up.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
const log = (line) => process.stderr.write(`[kafka] ${line}\n`);
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

async function main() {
  if (command === 'provision') {
    const since = Date.now();
    const libs = provision({ log });
    log(`Kafka ${kafkaVersion()} broker jars ready in ${libs} (${seconds(since)})`);
    return;
  }
  if (command !== 'start') {
    process.stderr.write('usage: node scripts/kafka/broker.mjs provision | start [--json] [--until-stdin-closes]\n');
    process.exit(2);
  }
  let since = Date.now();
  const libs = provision({ log });
  const java = findJava();
  const provisioned = seconds(since);
  since = Date.now();
  const broker = await startBroker({ java, libs });
  log(`Kafka ${kafkaVersion()} started in ${seconds(since)} (jars ready in ${provisioned}); log: ${broker.logFile}`);
  if (flags.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ brokers: broker.brokers, version: kafkaVersion(), logFile: broker.logFile, pid: broker.pid })}\n`);
  } else {
    process.stdout.write(`KAFKA_BROKERS=${broker.brokers.join(',')}\n`);
  }

  let stopping;
  const stop = (reason) => {
    stopping ??= (async () => {
      log(`stopping (${reason})`);
      await broker.stop();
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
  const { code, signal } = await broker.exited;
  if (!stopping) {
    log(`the broker exited by itself (${code ?? signal}); see ${broker.logFile}`);
    process.exit(1);
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
