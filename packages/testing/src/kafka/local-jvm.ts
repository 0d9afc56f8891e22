import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildServer } from '../servers/child-server.js';
import type { Started } from '../servers/started.js';
import type { KafkaInfo } from './start-kafka.js';

/** scripts/kafka/broker.mjs of this repository, found by walking up from this file (src or dist alike). */
function brokerScript(): string {
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
