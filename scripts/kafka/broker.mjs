#!/usr/bin/env node
// A real Apache Kafka broker from its Maven Central jars, on the local JVM, for tests and development.
//
//   node scripts/kafka/broker.mjs provision   download the broker's jars into the cache (reused when present)
//   node scripts/kafka/broker.mjs start       provision, then run a single-node KRaft broker on 127.0.0.1
//                                              until Ctrl-C; prints KAFKA_BROKERS=...
//     --json                 print one JSON line {"brokers": [...], ...} on stdout instead (for programs)
//     --until-stdin-closes   also stop when stdin closes: a parent that dies, even by SIGKILL, takes the
//                            broker with it
//     --brokers N            a cluster of N brokers instead (node 1 also the controller), for tests of
//                            what only several brokers show; KAFKA_BROKERS then lists them all
import { runServerCli } from '../server-cli.mjs';
import { findJava, kafkaVersion, provision } from './provision.mjs';
import { startBroker, startCluster } from './server.mjs';

runServerCli({
  tag: 'kafka',
  usage: 'node scripts/kafka/broker.mjs',
  provision: (log) => `Kafka ${kafkaVersion()} broker jars ready in ${provision({ log })}`,
  async start(log) {
    const at = process.argv.indexOf('--brokers');
    const size = at < 0 ? 1 : Number(process.argv[at + 1]);
    const options = { java: findJava(), libs: provision({ log }) };
    const server = at < 0 ? await startBroker(options) : await startCluster({ ...options, size });
    return {
      server,
      started: `Kafka ${kafkaVersion()} ${at < 0 ? '' : `cluster of ${size} brokers `}started (log: ${server.logFile})`,
      env: { KAFKA_BROKERS: server.brokers.join(',') },
      json: { brokers: server.brokers, version: kafkaVersion(), logFile: server.logFile, pid: server.pid },
    };
  },
});
