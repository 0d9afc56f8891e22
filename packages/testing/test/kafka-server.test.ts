import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { kafkaServer, uniqueName } from '@rowline/testing';

describe('kafkaServer', () => {
  let kafka: Kafka;

  beforeAll(async () => {
    const { brokers } = await kafkaServer();
    kafka = new Kafka({ clientId: 'testing-harness', brokers, logLevel: logLevel.NOTHING });
  });

  it('hands out the same broker to every caller of a run', async () => {
    const [a, b] = await Promise.all([kafkaServer(), kafkaServer()]);
    expect(a).toEqual(b);
  });

  it('carries a message from a producer to a consumer', async () => {
    const topic = uniqueName('harness');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'hello broker', headers: { h: 'v' } }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('harness'), allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received = await new Promise<{ value: string; header: string }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) =>
          resolve({ value: String(message.value), header: String(message.headers?.h) }),
      });
    });
    await consumer.disconnect();
    expect(received).toEqual({ value: 'hello broker', header: 'v' });
  });

  it('does not create topics on demand', async () => {
    const producer = kafka.producer({
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 1, initialRetryTime: 100 },
    });
    await producer.connect();
    await expect(producer.send({ topic: uniqueName('nowhere'), messages: [{ value: 'x' }] })).rejects.toThrow();
    await producer.disconnect();
  });
});
