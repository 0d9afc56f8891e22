import { firstAvailable, ServerUnavailableError, type Started } from '../servers/started.js';
import { startKafkaContainer } from './container.js';
import { startLocalBroker } from './local-jvm.js';
import { probeBrokers } from './probe.js';

export type KafkaInfo = { brokers: string[]; source: string };

export const HOW_TO_PROVIDE_KAFKA =
  'Provide a Kafka broker in one of these ways: set KAFKA_BROKERS=host:port[,host:port] to use a running ' +
  'broker (topic auto-creation off); or run a Docker engine (testcontainers then starts one); or install ' +
  'Java 17+ and Maven (Debian: apt-get install -y default-jre-headless maven) so that ' +
  '`node scripts/kafka/broker.mjs start` can run the Apache Kafka broker from Maven Central.';

/**
 * KAFKA_BROKERS if set (and then only it: configured brokers that do not answer are an error), else a
 * container when a Docker engine answers, else the Apache Kafka broker on the local JVM.
 */
export async function startKafka(deps: { dockerAnswers: () => Promise<boolean>; log(line: string): void }): Promise<Started<KafkaInfo>> {
  const brokers = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter(Boolean);
  if (brokers?.length) {
    await probeBrokers(brokers).catch((err: Error) => {
      throw new ServerUnavailableError(`Cannot reach KAFKA_BROKERS=${brokers.join(',')}: ${err.message}\n${HOW_TO_PROVIDE_KAFKA}`);
    });
    return { info: { brokers, source: 'KAFKA_BROKERS' }, stop: async () => undefined };
  }
  return firstAvailable<KafkaInfo>(
    'Kafka broker',
    [
      { name: 'testcontainers', start: async () => ((await deps.dockerAnswers()) ? startKafkaContainer() : undefined) },
      { name: 'local JVM (scripts/kafka/broker.mjs)', start: startLocalBroker },
    ],
    `KAFKA_BROKERS is not set. ${HOW_TO_PROVIDE_KAFKA}`,
    deps.log,
  );
}
