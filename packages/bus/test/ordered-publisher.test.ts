import type { Producer, ProducerBatch } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createOrderedPublisher } from '../src/kafka/ordered-publisher.js';

/** A producer whose requests complete when the test says so. */
function fakeProducer(fail: (batch: ProducerBatch) => boolean = () => false) {
  const requests: Array<{ batch: ProducerBatch; done: () => void }> = [];
  const producer = {
    sendBatch: (batch: ProducerBatch) =>
      new Promise((resolve, reject) => {
        requests.push({ batch, done: () => (fail(batch) ? reject(new Error('refused')) : resolve([])) });
      }),
  } as unknown as Producer;
  const values = (i: number) => requests[i]!.batch.topicMessages!.flatMap((t) => t.messages.map((m) => `${t.topic}:${m.value}`));
  return { producer, requests, values };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ordered publisher', () => {
  it('keeps one request in flight and sends what queued meanwhile as the next one, in call order', async () => {
    const { producer, requests, values } = fakeProducer();
    const publish = createOrderedPublisher(producer);
    const first = publish('a', [{ value: '1' }]);
    const rest = [publish('a', [{ value: '2' }]), publish('b', [{ value: '3' }]), publish('a', [{ value: '4' }])];
    await tick();
    expect(requests).toHaveLength(1);
    requests[0]!.done();
    await first;
    await tick();
    expect(requests).toHaveLength(2);
    expect(values(1)).toEqual(['a:2', 'a:4', 'b:3']);
    expect(requests[1]!.batch.acks).toBe(-1);
    requests[1]!.done();
    await Promise.all(rest);
  });

  it('fails only the call that the broker refuses, not the calls batched with it', async () => {
    const { producer, requests } = fakeProducer((batch) => batch.topicMessages!.some((t) => t.topic === 'missing'));
    const publish = createOrderedPublisher(producer);
    const first = publish('a', [{ value: '1' }]);
    const good = publish('a', [{ value: '2' }]);
    const bad = publish('missing', [{ value: '3' }]);
    const settled = Promise.allSettled([first, good, bad]);
    let finished = false;
    void settled.then(() => (finished = true));
    for (let i = 0; i < 50 && !finished; i++) {
      for (const r of requests.splice(0)) r.done();
      await tick();
    }
    const [a, b, c] = await settled;
    expect([a.status, b.status, c.status]).toEqual(['fulfilled', 'fulfilled', 'rejected']);
  });
});
