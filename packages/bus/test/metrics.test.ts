import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../src/index.js';

async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values as Array<{ labels: Record<string, string>; value: number; metricName?: string }> | undefined)
    ?.find((v) => (v.metricName ?? name) === name && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe('bus metrics', () => {
  it('count published messages by event type, and handler runs and their time by group and outcome', async () => {
    const registry = new Registry();
    const bus = createMemoryBus({ registry, dlq: { maxAttempts: 1, backoffMs: 1 } });
    await bus.ensureTopics([{ name: 'runs', partitions: 1 }]);
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      void bus.subscribe({
        topics: ['runs'], groupId: 'workers', fromBeginning: true,
        handler: async (m) => {
          seen.push(m.key);
          if (m.key === 'bad') throw new Error('poison');
          if (seen.length === 3) resolve();
        },
      });
    });
    await bus.publish('runs', [
      { key: 'a', value: new Uint8Array(), headers: { 'event-type': 'succeeded' } },
      { key: 'bad', value: new Uint8Array(), headers: { 'event-type': 'failed' } },
      { key: 'c', value: new Uint8Array(), headers: { 'event-type': 'not a type!' } },
    ]);
    await done;
    await bus.close();
    expect(await value(registry, 'rowline_bus_messages_published_total', { topic: 'runs', event_type: 'succeeded' })).toBe(1);
    expect(await value(registry, 'rowline_bus_messages_published_total', { topic: 'runs', event_type: 'other' })).toBe(1);
    expect(await value(registry, 'rowline_bus_messages_processed_total', { topic: 'runs', group: 'workers', outcome: 'ok' })).toBe(2);
    expect(await value(registry, 'rowline_bus_messages_processed_total', { topic: 'runs', group: 'workers', outcome: 'error' })).toBe(1);
    expect(await registry.metrics()).toMatch(/rowline_bus_message_processing_seconds_count\{topic="runs",group="workers"\} 3/);
  });
});
