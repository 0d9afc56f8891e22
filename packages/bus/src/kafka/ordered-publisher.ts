import type { Message, Producer, TopicMessages } from 'kafkajs';

type Pending = { topic: string; messages: Message[]; resolve: () => void; reject: (err: unknown) => void };

/** Messages per produce request when calls pile up; well under the broker's default batch size limit for small events. */
const MAX_MESSAGES_PER_REQUEST = 1_000;

/**
 * Publishes in call order with one produce request in flight, which is what keeps per-key order when a
 * request is retried (the producer runs with `maxInFlightRequests: 1`). Calls made while a request is in
 * flight are coalesced into the next one, so throughput comes from batching rather than from concurrency.
 */
export function createOrderedPublisher(producer: Producer): (topic: string, messages: Message[]) => Promise<void> {
  let queue: Pending[] = [];
  let flushing = false;

  const send = (batch: Pending[]) => producer.sendBatch({ acks: -1, topicMessages: byTopic(batch) });

  const flush = async () => {
    flushing = true;
    while (queue.length > 0) {
      const batch = take();
      try {
        await send(batch);
        for (const p of batch) p.resolve();
      } catch (err) {
        if (batch.length === 1) batch[0]!.reject(err);
        // One bad call (an unknown topic, an oversized message) must not fail the calls it was batched with.
        else for (const p of batch) await send([p]).then(p.resolve, p.reject);
      }
    }
    flushing = false;
  };

  const take = (): Pending[] => {
    let count = 0;
    let i = 0;
    while (i < queue.length && (i === 0 || count + queue[i]!.messages.length <= MAX_MESSAGES_PER_REQUEST)) {
      count += queue[i]!.messages.length;
      i++;
    }
    const batch = queue.slice(0, i);
    queue = queue.slice(i);
    return batch;
  };

  return (topic, messages) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ topic, messages, resolve, reject });
      if (!flushing) void flush();
    });
}

function byTopic(batch: Pending[]): TopicMessages[] {
  const topics = new Map<string, Message[]>();
  for (const p of batch) {
    const messages = topics.get(p.topic);
    if (messages) messages.push(...p.messages);
    else topics.set(p.topic, [...p.messages]);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}
