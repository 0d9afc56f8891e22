import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { withMetrics, withTracing, type EventBus } from '../src/index.js';

// A stand-in bus: the wrappers' contract is only what they forward, so no broker is needed here.
const inner = (): EventBus & { lagAsked: unknown[] } => {
  const lagAsked: unknown[] = [];
  return {
    lagAsked,
    ensureTopics: async () => {},
    close: async () => {},
    health: async () => ({ ok: true }),
    publish: async () => {},
    subscribe: async () => ({ stop: async () => {} }),
    consumerLag: async (groupId: string, topics: string[]) => { lagAsked.push([groupId, topics]); return 7; },
  } as unknown as EventBus & { lagAsked: unknown[] };
};

describe('the tracing and metrics wrappers of a bus', () => {
  it('pass consumer lag through to the bus they wrap', async () => {
    const bus = inner();
    const wrapped = withTracing(withMetrics(bus, new Registry()));
    expect(await wrapped.consumerLag!('engine-workers', ['executions.requested'])).toBe(7);
    expect(bus.lagAsked).toEqual([['engine-workers', ['executions.requested']]]);
  });

  it('offer no consumer lag when the wrapped bus has none', () => {
    const { consumerLag: _none, ...bare } = inner();
    expect(withTracing(withMetrics(bare as EventBus, new Registry())).consumerLag).toBeUndefined();
  });
});
