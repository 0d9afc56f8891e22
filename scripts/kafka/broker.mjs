#!/usr/bin/env node
// A real Apache Kafka broker from its Maven Central jars, on the local JVM, for tests and development.
//
//   node scripts/kafka/broker.mjs provision   download the broker's jars into the cache (reused when present)
//   node scripts/kafka/broker.mjs start       provision, then run a single-node KRaft broker on 127.0.0.1
//                                              until Ctrl-C; prints KAFKA_BROKERS=...
//     --json                 print one JSON line {"brokers": [...], ...} on stdout instead (for programs)
//     --until-stdin-closes   also stop when stdin closes: a parent that dies, even by SIGKILL, takes the
//                            broker with it
import { runServerCli } from '../server-cli.mjs';
import { findJava, kafkaVersion, provision } from './provision.mjs';
import { startBroker } from './server.mjs';

runServerCli({
  tag: 'kafka',
  usage: 'node scripts/kafka/broker.mjs',
  provision: (log) => `Kafka ${kafkaVersion()} broker jars ready in ${provision({ log })}`,
  async start(log) {
    const server = await startBroker({ java: findJava(), libs: provision({ log }) });
    return {
      server,
      started: `Kafka ${kafkaVersion()} started (log: ${server.logFile})`,
      env: { KAFKA_BROKERS: server.brokers.join(',') },
      json: { brokers: server.brokers, version: kafkaVersion(), logFile: server.logFile, pid: server.pid },
    };
  },
});
