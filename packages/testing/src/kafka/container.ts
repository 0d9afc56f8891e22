import type { Started } from '../servers/started.js';
import type { KafkaInfo } from './start-kafka.js';

/** Confluent Platform 7.9 is Apache Kafka 3.9, the version the local broker runs. */
const IMAGE = 'confluentinc/cp-kafka:7.9.0';
const KAFKA_PORT = 9093;

export async function startKafkaContainer(): Promise<Started<KafkaInfo>> {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const container = await new KafkaContainer(IMAGE)
    .withKraft()
    .withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false', KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' })
    .start();
  return {
    info: { brokers: [`${container.getHost()}:${container.getMappedPort(KAFKA_PORT)}`], source: `testcontainers (${IMAGE})` },
    stop: async () => {
      await container.stop();
    },
  };
}
