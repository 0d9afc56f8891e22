import { Kafka, logLevel } from 'kafkajs';

/** Proves the brokers answer the Kafka protocol, failing within seconds rather than after kafkajs's long retries. */
export async function probeBrokers(brokers: string[]): Promise<void> {
  const admin = new Kafka({
    clientId: 'rowline-testing-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: { retries: 2, initialRetryTime: 300 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}
