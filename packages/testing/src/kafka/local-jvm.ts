import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildServer } from '../servers/child-server.js';
import type { Started } from '../servers/started.js';
import type { KafkaInfo } from './start-kafka.js';

/** scripts/kafka/broker.mjs of this repository, found by walking up from this file (src or dist alike). */
export function brokerScript(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'scripts', 'kafka', 'broker.mjs');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('scripts/kafka/broker.mjs not found above packages/testing');
    dir = parent;
  }
}

/** The Apache Kafka broker from its Maven Central jars on the local JVM, run by scripts/kafka/broker.mjs. */
export async function startLocalBroker(): Promise<Started<KafkaInfo>> {
  const broker = await startChildServer<{ brokers: string[]; version: string }>(
    'the local Kafka broker',
    brokerScript(),
    ['start', '--json', '--until-stdin-closes'],
  );
  return { info: { brokers: broker.info.brokers, source: `Apache Kafka ${broker.info.version} on the local JVM` }, stop: broker.stop };
}

/**
 * A cluster of `size` Apache Kafka brokers on the local JVM (node 1 also the controller), for a test that
 * needs what one broker never shows: partitions leading on different brokers, fetched from concurrently.
 * The run's shared broker (`kafkaServer`) is one broker, or whatever KAFKA_BROKERS names, so the test starts
 * its own, and fails with the reason when it cannot (no Java, jars not provisioned). Stop it in `afterAll`.
 */
export async function startKafkaCluster(size = 2): Promise<Started<KafkaInfo>> {
  const cluster = await startChildServer<{ brokers: string[]; version: string }>(
    `a local Kafka cluster of ${size} brokers`,
    brokerScript(),
    ['start', '--json', '--until-stdin-closes', '--brokers', String(size)],
  );
  return { info: { brokers: cluster.info.brokers, source: `Apache Kafka ${cluster.info.version}, ${size} brokers on the local JVM` }, stop: cluster.stop };
}
