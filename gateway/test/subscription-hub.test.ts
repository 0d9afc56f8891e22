import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createLogger, type Principal } from '@rowline/kit';
import { createHub, type Resolve, type Subscriber } from '../src/subscriptions/hub.js';
import { compileSubscription, STATUS_KEY, type SubscriptionPlan } from '../src/subscriptions/plan.js';
import { buildSubscriptionSchema } from '../src/subscriptions/schema.js';
import { SubscriberQueue } from '../src/subscriptions/subscriber-queue.js';
import type { RunEvent, UpdateEvent } from '../src/subscriptions/events.js';

/** The part of an ExecutionUpdate these tests read. */
type Update = { event: { type: string; message: string | null }; execution: { id: string } | null };

const schema = buildSubscriptionSchema(buildSchema(`
  scalar DateTimeISO
  enum ExecutionStatus { PENDING QUEUED RUNNING SUCCEEDED FAILED CANCELLED TIMED_OUT }
  enum ExecutionPhase { INITIALIZING READING TRANSFORMING VALIDATING WRITING }
  type Execution { id: ID! status: ExecutionStatus! }
  type Query { execution(id: ID!): Execution! executionsByIds(ids: [ID!]!): [Execution]! }
`));
const WATCH = 'subscription($id: ID!) { executionUpdated(id: $id) { event { type message } execution { id } } }';
const FEED = 'subscription($f: ExecutionEventsFilter) { executionEvents(filter: $f) { event { type message } execution { id } } }';

const principal = (tenantId: string): Principal => ({ kind: 'user', tenantId, subject: `user-of-${tenantId}`, role: 'OWNER', scopes: [] });

/**
 * A stand-in for the gateway answering `executionsByIds` as the executions subgraph does: runs belong to
 * tenants; another tenant's run is a null item with NOT_FOUND at its index. `calls` holds each resolution's ids.
 */
function fakeGateway(owners: Record<string, string>, status = 'RUNNING') {
  const calls: string[] = [];
  const resolve: Resolve = async (_query, variables, who) => {
    const ids = variables.rowlineExecutionIds_ as string[];
    calls.push(ids.join('+'));
    await new Promise((r) => setTimeout(r, 5));
    const mine = (id: string) => owners[id] === who.tenantId;
    const errors = ids.flatMap((id, i) => (mine(id) ? [] : [STATUS_KEY, 'execution'].map((key) => ({ message: `Execution ${id} was not found`, path: [key, i], extensions: { code: 'NOT_FOUND' } }))));
    return {
      data: { [STATUS_KEY]: ids.map((id) => (mine(id) ? { status } : null)), execution: ids.map((id) => (mine(id) ? { id, __typename: 'Execution' } : null)) },
      ...(errors.length ? { errors } : {}),
    };
  };
  return { resolve, calls };
}

function subscriber(query: string, variables: Record<string, unknown>, who: Principal, groupKey = `${who.tenantId}:${query}:${JSON.stringify(variables)}`) {
  const plan = compileSubscription(schema, parse(query), undefined, variables) as SubscriptionPlan;
  const queue = new SubscriberQueue({ limit: 100, onOverflow: () => {}, onCoalesced: () => {}, onEnd: () => {} });
  const sub: Subscriber = { principal: who, plan, groupKey, queue };
  const seen: Array<{ type: string; message: string | null; run?: string; errors?: string[] }> = [];
  const done = (async () => {
    for await (const r of queue) {
      const data = r.data as { executionUpdated?: Update; executionEvents?: Update } | null | undefined;
      const u = data?.executionUpdated ?? data?.executionEvents;
      seen.push(u ? { type: u.event.type, message: u.event.message, ...(u.execution ? { run: u.execution.id } : {}) } : { type: 'ERROR', message: null, errors: r.errors?.map((e) => String(e.extensions.code)) });
    }
  })();
  return { sub, seen, done };
}

let n = 0;
function event(tenantId: string, executionId: string, e: Partial<UpdateEvent> & { type: UpdateEvent['type'] }, extra: Partial<RunEvent> = {}): RunEvent {
  return {
    tenantId, executionId, workflowId: 'wf-1', coalescable: e.type === 'PROGRESS', terminal: e.type === 'SUCCEEDED', status: e.status ?? null,
    event: { at: new Date().toISOString(), message: `m${++n}`, sequence: null, status: null, phase: null, percent: null, rowsProcessed: null, ...e },
    ...extra,
  };
}

/** Waits for a condition (the test's timeout bounds it). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

describe('the subscription hub', () => {
  it('sends a run\'s updates only to its own tenant, in order, then completes after the final event', async () => {
    const gw = fakeGateway({ r1: 'acme' });
    const hub = createHub({ resolve: gw.resolve, logger: createLogger({ service: 'test', level: 'silent' }) });
    const acme = subscriber(WATCH, { id: 'r1' }, principal('acme'));
    const spy = subscriber(WATCH, { id: 'r1' }, principal('other'));
    const otherFeed = subscriber(FEED, {}, principal('other'));
    for (const s of [acme, spy, otherFeed]) hub.add(s.sub);
    await until(() => acme.seen.length === 1);
    hub.publish(event('acme', 'r1', { type: 'STATUS_CHANGED', status: 'RUNNING' }));
    hub.publish(event('acme', 'r1', { type: 'STEP_FINISHED' }));
    hub.publish(event('acme', 'r1', { type: 'SUCCEEDED', status: 'SUCCEEDED' }));
    await acme.done;
    await spy.done;
    expect(acme.seen.map((u) => u.type)).toEqual(['SNAPSHOT', 'STATUS_CHANGED', 'STEP_FINISHED', 'SUCCEEDED']);
    expect(acme.seen.every((u) => u.run === 'r1')).toBe(true);
    expect(spy.seen).toEqual([{ type: 'ERROR', message: null, errors: ['NOT_FOUND'] }]);
    expect(otherFeed.seen).toEqual([]);
    expect(gw.calls.filter((id) => id === 'r1').length).toBeLessThanOrEqual(5);
    otherFeed.sub.queue.return();
  });

  it('coalesces progress that waits behind a resolution, and filters the feed by workflow and status', async () => {
    const gw = fakeGateway({ r1: 'acme', r2: 'acme' });
    const hub = createHub({ resolve: gw.resolve, logger: createLogger({ service: 'test', level: 'silent' }) });
    const all = subscriber(FEED, {}, principal('acme'));
    const succeeded = subscriber(FEED, { f: { status: 'SUCCEEDED' } }, principal('acme'));
    const otherWorkflow = subscriber(FEED, { f: { workflowId: 'wf-2' } }, principal('acme'));
    for (const s of [all, succeeded, otherWorkflow]) hub.add(s.sub);
    hub.publish(event('acme', 'r1', { type: 'STATUS_CHANGED', status: 'RUNNING' }));
    const progress = [1, 2, 3, 4].map(() => event('acme', 'r1', { type: 'PROGRESS' }, { status: 'RUNNING' }));
    for (const p of progress) hub.publish(p);
    hub.publish(event('acme', 'r1', { type: 'SUCCEEDED', status: 'SUCCEEDED' }));
    await until(() => all.seen.length === 3 && succeeded.seen.length === 1);
    expect(all.seen.map((u) => u.type)).toEqual(['STATUS_CHANGED', 'PROGRESS', 'SUCCEEDED']);
    expect(all.seen[1]!.message).toBe(progress.at(-1)!.event.message);
    expect(succeeded.seen.map((u) => u.type)).toEqual(['SUCCEEDED']);
    expect(otherWorkflow.seen).toEqual([]);
    for (const s of [all, succeeded, otherWorkflow]) s.sub.queue.return();
  });

  it('resolves the events that arrive together (one Kafka batch: a move\'s steps, status and outcome) once', async () => {
    const gw = fakeGateway({ r1: 'acme', r2: 'acme' });
    const hub = createHub({ resolve: gw.resolve, logger: createLogger({ service: 'test', level: 'silent' }) });
    const watch = subscriber(WATCH, { id: 'r1' }, principal('acme'));
    const succeeded = subscriber(FEED, { f: { status: 'SUCCEEDED' } }, principal('acme'));
    hub.add(watch.sub);
    hub.add(succeeded.sub);
    // The snapshot of r1 is resolved before its events come (a subscriber opens before the run ends).
    await until(() => watch.seen.length === 1);
    const before = gw.calls.length;
    for (const run of ['r1', 'r2']) {
      hub.publish(event('acme', run, { type: 'STEP_FINISHED' }, { status: 'RUNNING' }));
      hub.publish(event('acme', run, { type: 'STATUS_CHANGED', status: 'SUCCEEDED' }));
      hub.publish(event('acme', run, { type: 'SUCCEEDED', status: 'SUCCEEDED' }));
    }
    await watch.done;
    await until(() => succeeded.seen.length === 4);
    expect(watch.seen.map((u) => u.type)).toEqual(['SNAPSHOT', 'STEP_FINISHED', 'STATUS_CHANGED', 'SUCCEEDED']);
    expect(succeeded.seen.map((u) => `${u.run} ${u.type}`)).toEqual(['r1 STATUS_CHANGED', 'r1 SUCCEEDED', 'r2 STATUS_CHANGED', 'r2 SUCCEEDED']);
    // One resolution per subscriber group: r1 for the watcher, r1 and r2 together for the feed.
    expect(gw.calls.slice(before).sort()).toEqual(['r1', 'r1+r2']);
    succeeded.sub.queue.return();
  });

  it('resolves once per event for every subscriber of a group', async () => {
    const gw = fakeGateway({ r1: 'acme' });
    const hub = createHub({ resolve: gw.resolve, logger: createLogger({ service: 'test', level: 'silent' }) });
    const subs = Array.from({ length: 50 }, () => subscriber(WATCH, { id: 'r1' }, principal('acme')));
    for (const s of subs) hub.add(s.sub);
    await until(() => subs.every((s) => s.seen.length === 1));
    const before = gw.calls.length;
    hub.publish(event('acme', 'r1', { type: 'STEP_FINISHED' }));
    await until(() => subs.every((s) => s.seen.length === 2));
    expect(gw.calls.length - before).toBe(1);
    expect(subs.every((s) => s.seen.map((u) => u.type).join() === 'SNAPSHOT,STEP_FINISHED')).toBe(true);
    for (const s of subs) s.sub.queue.return();
  });

  it('resolves together the runs whose events came while a resolution was in flight, each run in its order', async () => {
    const runs = Array.from({ length: 10 }, (_, i) => `r${i}`);
    const gw = fakeGateway(Object.fromEntries(runs.map((r) => [r, 'acme'])));
    const hub = createHub({ resolve: gw.resolve, logger: createLogger({ service: 'test', level: 'silent' }) });
    const feed = subscriber(FEED, {}, principal('acme'));
    hub.add(feed.sub);
    hub.publish(event('acme', 'r0', { type: 'STATUS_CHANGED', status: 'RUNNING' }));
    await until(() => gw.calls.length === 1);
    // r0's resolution is in flight: what comes meanwhile waits for it, then goes in one resolution.
    for (const run of runs) hub.publish(event('acme', run, { type: 'STEP_FINISHED' }, { status: 'RUNNING' }));
    for (const run of runs) hub.publish(event('acme', run, { type: 'SUCCEEDED', status: 'SUCCEEDED' }));
    await until(() => feed.seen.length === 21);
    expect(gw.calls.length).toBe(2);
    expect(gw.calls[1]!.split('+').sort()).toEqual([...runs].sort());
    for (const run of runs) {
      expect(feed.seen.filter((u) => u.run === run).map((u) => u.type)).toEqual([...(run === 'r0' ? ['STATUS_CHANGED'] : []), 'STEP_FINISHED', 'SUCCEEDED']);
    }
    expect(hub.stats().lanes).toBe(0);
    feed.sub.queue.return();
  });

  it('answers a run that is not the subscriber\'s NOT_FOUND without touching the other runs read with it', async () => {
    const gw = fakeGateway({ r1: 'acme', r2: 'acme', theirs: 'other' });
    const hub = createHub({ resolve: gw.resolve, logger: createLogger({ service: 'test', level: 'silent' }) });
    const feed = subscriber(FEED, {}, principal('acme'));
    hub.add(feed.sub);
    // An event that names acme but a run acme cannot read (a forged or foreign id) is refused by the read itself.
    for (const run of ['r1', 'theirs', 'r2']) hub.publish(event('acme', run, { type: 'SUCCEEDED', status: 'SUCCEEDED' }));
    await until(() => feed.seen.length === 3);
    expect(gw.calls).toEqual(['r1+theirs+r2']);
    expect(feed.seen).toEqual([
      expect.objectContaining({ run: 'r1', type: 'SUCCEEDED' }),
      { type: 'ERROR', message: null, errors: ['NOT_FOUND'] },
      expect.objectContaining({ run: 'r2', type: 'SUCCEEDED' }),
    ]);
    feed.sub.queue.return();
  });

  it('answers a run whose selection failed to a null item with that run\'s errors alone, as a query of that run alone did', async () => {
    const resolve: Resolve = async (_query, variables) => {
      const ids = variables.rowlineExecutionIds_ as string[];
      // r2's `execution` item is null (a non-null field below it failed); its status was read.
      return {
        data: { [STATUS_KEY]: ids.map(() => ({ status: 'RUNNING' })), execution: ids.map((id) => (id === 'r2' ? null : { id, __typename: 'Execution' })) },
        errors: [{ message: 'Internal server error', path: ['execution', ids.indexOf('r2'), 'id'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
      };
    };
    const hub = createHub({ resolve, logger: createLogger({ service: 'test', level: 'silent' }) });
    const feed = subscriber(FEED, {}, principal('acme'));
    const results: Array<{ data: unknown; errors?: Array<{ path?: readonly (string | number)[]; code: unknown }> }> = [];
    const push = feed.sub.queue.push.bind(feed.sub.queue);
    feed.sub.queue.push = (result, ...rest) => {
      results.push({ data: result.data, ...(result.errors ? { errors: result.errors.map((e) => ({ path: e.path, code: e.extensions.code })) } : {}) });
      push(result, ...rest);
    };
    hub.add(feed.sub);
    for (const run of ['r1', 'r2']) hub.publish(event('acme', run, { type: 'STEP_FINISHED' }, { status: 'RUNNING' }));
    await until(() => results.length === 2);
    expect(results[0]!.errors).toBeUndefined();
    expect(results[1]).toEqual({ data: null, errors: [{ path: ['executionEvents', 'execution', 'id'], code: 'INTERNAL_SERVER_ERROR' }] });
    feed.sub.queue.return();
  });

  it('reads at most 32 updates and no more runs than the cost limit allows in one resolution', async () => {
    const runs = Array.from({ length: 40 }, (_, i) => `r${i}`);
    const owners = Object.fromEntries(runs.map((r) => [r, 'acme']));
    const unbounded = fakeGateway(owners);
    const hub = createHub({ resolve: unbounded.resolve, logger: createLogger({ service: 'test', level: 'silent' }) });
    const feed = subscriber(FEED, {}, principal('acme'));
    hub.add(feed.sub);
    for (const run of runs) hub.publish(event('acme', run, { type: 'SUCCEEDED', status: 'SUCCEEDED' }));
    await until(() => feed.seen.length === 40);
    expect(unbounded.calls.map((c) => c.split('+').length)).toEqual([32, 8]);
    feed.sub.queue.return();

    // The feed's query costs 2 + 3 per run (status and eventSequence; id): a limit of 11 reads 3 runs at a time.
    const costly = fakeGateway(owners);
    const limited = createHub({ resolve: costly.resolve, logger: createLogger({ service: 'test', level: 'silent' }), maxCost: 11 });
    const bounded = subscriber(FEED, {}, principal('acme'));
    expect(bounded.sub.plan.cost).toEqual({ fixed: 2, perRun: 3 });
    limited.add(bounded.sub);
    for (const run of runs.slice(0, 10)) limited.publish(event('acme', run, { type: 'SUCCEEDED', status: 'SUCCEEDED' }));
    await until(() => bounded.seen.length === 10);
    expect(costly.calls.map((c) => c.split('+').length)).toEqual([3, 3, 3, 1]);
    expect(bounded.seen.map((u) => u.run)).toEqual(runs.slice(0, 10));
    bounded.sub.queue.return();
  });

  it('follows a run named in capitals, as execution(id:) reads it: its snapshot and then its events', async () => {
    const gw = fakeGateway({ r1: 'acme' });
    const hub = createHub({ resolve: gw.resolve, logger: createLogger({ service: 'test', level: 'silent' }) });
    const watch = subscriber(WATCH, { id: 'R1' }, principal('acme'));
    hub.add(watch.sub);
    await until(() => watch.seen.length === 1);
    hub.publish(event('acme', 'r1', { type: 'SUCCEEDED', status: 'SUCCEEDED' }));
    await watch.done;
    expect(watch.seen.map((u) => `${u.run} ${u.type}`)).toEqual(['r1 SNAPSHOT', 'r1 SUCCEEDED']);
  });
});
