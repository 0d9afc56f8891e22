import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { collect, liveClient, tenantWithWorkflow, type Result } from './support/live.js';

/**
 * How runs end as subscribers see them, and where their snapshot stands, on every path that ends one: the engine worker (a failed step),
 * cancelExecution and the sweeper's timeout. Runs are held at the worker right after their claim (the
 * workers' fault point), so a test can subscribe and act while they are RUNNING, and are let go at the end.
 */
const WATCH = /* GraphQL */ `
  subscription($id: ID!) {
    executionUpdated(id: $id) { event { type status sequence } execution { status } }
  }`;

const ENDINGS = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

describe('where a run\'s updates start (the snapshot) and how they end', () => {
  let t: TestPlatform;
  const held = new Map<string, () => void>();

  beforeAll(async () => {
    t = await startTestPlatform({
      executions: {
        sweepIntervalMs: 100,
        faults: async (point, id) => {
          if (point === 'after-claim') await new Promise<void>((resolve) => held.set(id, resolve));
        },
      },
    });
  });
  afterAll(async () => {
    for (const release of held.values()) release();
    await t?.stop();
  });

  async function heldRun(start: () => Promise<string>): Promise<string> {
    const id = await start();
    while (!held.has(id)) await new Promise((r) => setTimeout(r, 20));
    return id;
  }
  const release = (id: string) => { held.get(id)?.(); held.delete(id); };

  /** Subscribes to a run and waits for its snapshot, so what the test does next arrives as events. */
  async function watch(client: ReturnType<typeof liveClient>['client'], id: string) {
    const sub = collect(client, WATCH, { id });
    while (sub.results.length === 0) await new Promise((r) => setTimeout(r, 20));
    return {
      snapshot: sub.results[0]!.data.executionUpdated,
      /** Every update after the snapshot, once the subscription completed. */
      rest: async () => (await sub.done).slice(1).map((r: Result) => { expect(r.errors).toBeUndefined(); return r.data.executionUpdated; }),
    };
  }

  function expectEnding(updates: any[], status: string) {
    const types = updates.map((u) => u.event.type);
    // One final event, the last one, naming the status; the status change just before it.
    expect(types.filter((type) => ENDINGS.includes(type))).toEqual([status]);
    expect(updates.at(-1)).toEqual({ event: { type: status, status, sequence: expect.any(Number) }, execution: { status } });
    expect(updates.at(-2).event).toMatchObject({ type: 'STATUS_CHANGED', status });
  }

  it('ends with CANCELLED when cancelExecution stops a running run', async () => {
    const acme = await tenantWithWorkflow(t.platform.graphqlUrl, 'Acme Cancelled');
    const { client } = liveClient(t.platform.url, { authorization: `Bearer ${acme.token}` });
    const id = await heldRun(() => acme.startRun());
    try {
      const watching = await watch(client, id);
      expect(watching.snapshot.execution.status).toBe('RUNNING');
      const cancelled = await acme.api.request('mutation($id: ID!) { cancelExecution(id: $id) { status } }', { id });
      expect(cancelled.data?.cancelExecution).toEqual({ status: 'CANCELLED' });
      expectEnding(await watching.rest(), 'CANCELLED');
    } finally {
      release(id);
      await client.dispose();
    }
  });

  it('gives the snapshot the run\'s event sequence, so the events after it continue from it without a gap', async () => {
    const acme = await tenantWithWorkflow(t.platform.graphqlUrl, 'Acme Sequence');
    const { client } = liveClient(t.platform.url, { authorization: `Bearer ${acme.token}` });
    const id = await heldRun(() => acme.startRun());
    try {
      const watching = await watch(client, id);
      const at = watching.snapshot.event.sequence;
      // At least the event of its acceptance (1).
      expect(at).toBeGreaterThanOrEqual(1);
      await acme.api.request('mutation($id: ID!) { cancelExecution(id: $id) { status } }', { id });
      const updates = await watching.rest();
      // Events at or below the snapshot's sequence may still arrive (they are in it); the rest follow it, one by one.
      const newer = updates.map((u) => u.event.sequence).filter((s): s is number => s !== null && s > at);
      expect(newer.length).toBeGreaterThanOrEqual(2);
      expect(newer).toEqual(newer.map((_, i) => at + 1 + i));
      const final = await acme.api.request('query($id: ID!) { execution(id: $id) { eventSequence } }', { id });
      expect(final.data?.execution.eventSequence).toBe(newer.at(-1));
    } finally {
      release(id);
      await client.dispose();
    }
  });

  it('ends with TIMED_OUT when the sweeper ends a run past its timeout', async () => {
    const acme = await tenantWithWorkflow(t.platform.graphqlUrl, 'Acme Timed Out');
    const { client } = liveClient(t.platform.url, { authorization: `Bearer ${acme.token}` });
    const id = await heldRun(() => acme.startRun({ timeoutSeconds: 1 }));
    try {
      const watching = await watch(client, id);
      // The worker is held, so the sweeper (every 100 ms) is what ends the run once its second is up.
      expectEnding(await watching.rest(), 'TIMED_OUT');
    } finally {
      release(id);
      await client.dispose();
    }
  });

  it('ends with FAILED when a step of the run fails in the worker', async () => {
    const acme = await tenantWithWorkflow(t.platform.graphqlUrl, 'Acme Failed');
    const broken = await acme.api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { latestVersion { id } } } }`, {
      i: { name: 'Broken', steps: [
        { type: 'filter', params: { sheet: 'Sales', where: { column: 'colour', op: 'eq', value: 'red' } } },
        { type: 'output', params: { artifacts: [{ name: 'out.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } },
      ] },
    });
    const versionId = broken.data!.createWorkflow.workflow.latestVersion.id as string;
    const { client } = liveClient(t.platform.url, { authorization: `Bearer ${acme.token}` });
    const id = await heldRun(() => acme.startRun({ versionId }));
    try {
      const watching = await watch(client, id);
      release(id);
      const updates = await watching.rest();
      expectEnding(updates, 'FAILED');
      expect(updates.at(-1).event.sequence).toBeGreaterThan(0);
    } finally {
      release(id);
      await client.dispose();
    }
  });
});
