import { GraphQLError, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { Logger, Principal } from '@rowline/kit';
import { snapshotEvent, TERMINAL_STATUSES, type RunEvent, type UpdateEvent } from './events.js';
import { EXECUTION_ID_VARIABLE, render, STATUS_KEY, subscriberPath, type SubscriptionPlan } from './plan.js';
import type { SubscriberQueue } from './subscriber-queue.js';

/** Runs a query through the gateway as `principal` (the subscriber's own context). */
export type Resolve = (query: string, variables: Record<string, unknown>, principal: Principal) => Promise<{
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
}>;

export type Subscriber = {
  principal: Principal;
  plan: SubscriptionPlan;
  /** Subscribers with the same key share every resolution: same principal, same document, same variables. */
  groupKey: string;
  queue: SubscriberQueue;
};

type Item = { event: UpdateEvent; coalescable: boolean; terminal: boolean; snapshot: boolean; subs: Set<Subscriber> };
type Lane = { runId: string; plan: SubscriptionPlan; principal: Principal; items: Item[] };


/**
 * Routes run events to subscribers of the same tenant and resolves updates once per (subscriber group,
 * run): a lane per pair keeps that run's updates in order for the group, has at most one resolution in
 * flight, and coalesces progress that piles up meanwhile. Resolving never blocks the bus consumer.
 */
export function createHub(deps: { resolve: Resolve; logger: Logger; onResolved?: (ms: number, subscribers: number) => void }) {
  const byRun = new Map<string, Set<Subscriber>>();
  const byTenant = new Map<string, Set<Subscriber>>();
  const lanes = new Map<string, Lane>();
  // The last status each run's events announced, for the feed's status filter (progress and logs do not say it).
  const lastStatus = new Map<string, string>();
  const MAX_TRACKED_RUNS = 100_000;
  // Items one resolution serves: bounds the burst a subscriber's queue takes at once (see its limit).
  const MAX_BATCH = 32;

  const index = (sub: Subscriber): [Map<string, Set<Subscriber>>, string] =>
    sub.plan.field === 'executionUpdated' ? [byRun, String(sub.plan.args.id)] : [byTenant, sub.principal.tenantId];

  function add(sub: Subscriber): void {
    const [map, key] = index(sub);
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(sub);
    if (sub.plan.field === 'executionUpdated') {
      enqueue(sub, String(sub.plan.args.id), { event: snapshotEvent(), coalescable: false, terminal: false, snapshot: true, subs: new Set([sub]) });
    }
  }

  function remove(sub: Subscriber): void {
    const [map, key] = index(sub);
    const set = map.get(key);
    if (set?.delete(sub) && set.size === 0) map.delete(key);
  }

  function matchesFeed(sub: Subscriber, ev: RunEvent, status: string | null): boolean {
    const filter = (sub.plan.args.filter ?? {}) as { workflowId?: string | null; status?: string | null };
    return (!filter.workflowId || filter.workflowId === ev.workflowId) && (!filter.status || filter.status === status);
  }

  function publish(ev: RunEvent): void {
    if (ev.status) {
      lastStatus.delete(ev.executionId);
      if (!TERMINAL_STATUSES.has(ev.status)) lastStatus.set(ev.executionId, ev.status);
      if (lastStatus.size > MAX_TRACKED_RUNS) lastStatus.delete(lastStatus.keys().next().value!);
    }
    const status = ev.status ?? lastStatus.get(ev.executionId) ?? null;
    const groups = new Map<string, Set<Subscriber>>();
    const route = (sub: Subscriber) => {
      let set = groups.get(sub.groupKey);
      if (!set) groups.set(sub.groupKey, (set = new Set()));
      set.add(sub);
    };
    // The tenant check is the isolation boundary: a run id alone never reaches another tenant's subscriber.
    for (const sub of byRun.get(ev.executionId) ?? []) if (sub.principal.tenantId === ev.tenantId) route(sub);
    for (const sub of byTenant.get(ev.tenantId) ?? []) if (matchesFeed(sub, ev, status)) route(sub);
    for (const subs of groups.values()) {
      const first = subs.values().next().value!;
      enqueue(first, ev.executionId, { event: ev.event, coalescable: ev.coalescable, terminal: ev.terminal, snapshot: false, subs });
    }
  }

  function enqueue(sub: Subscriber, runId: string, item: Item): void {
    const key = `${sub.groupKey}\n${runId}`;
    let lane = lanes.get(key);
    if (!lane) {
      lane = { runId, plan: sub.plan, principal: sub.principal, items: [] };
      lanes.set(key, lane);
      lane.items.push(item);
      // From the next turn of the event loop: the events that came with this one (a move's steps, its status
      // and its outcome reach the consumer in one Kafka batch, handled within one turn) join the lane first
      // and share its first resolution, where starting at once resolved the first of them on its own.
      const ready = lane;
      setImmediate(() => void drain(key, ready));
      return;
    }
    const tail = lane.items[lane.items.length - 1];
    // Waiting progress gives way to newer progress; waiting snapshots are one read of the current state.
    if (tail && ((tail.coalescable && item.coalescable) || (tail.snapshot && item.snapshot))) {
      tail.event = item.event;
      for (const s of item.subs) tail.subs.add(s);
    } else {
      lane.items.push(item);
    }
  }

  /**
   * One resolution serves every item waiting in the lane: it reads the run's current state, which is at
   * least as new as each waiting event, and each item is still sent, in order, with its own `event`.
   */
  async function drain(key: string, lane: Lane): Promise<void> {
    try {
      while (lane.items.length) {
        const batch = lane.items.splice(0, MAX_BATCH).filter((item) => [...item.subs].some((s) => !s.queue.closed));
        if (batch.length === 0) continue;
        const answer = await resolveState(lane, batch.reduce((n, item) => n + item.subs.size, 0));
        for (const item of batch) {
          const { result, over } = outcome(lane, item, answer);
          for (const s of item.subs) if (!s.queue.closed) s.queue.push(result, item.coalescable, over && s.plan.field === 'executionUpdated');
        }
      }
    } finally {
      lanes.delete(key);
    }
  }

  type Answer = { data?: Record<string, unknown> | null; errors?: GraphQLError[]; status?: string; sequence?: number };

  async function resolveState(lane: Lane, subscribers: number): Promise<Answer> {
    const started = performance.now();
    try {
      const answer = await deps.resolve(lane.plan.query, { ...lane.plan.queryVariables, [EXECUTION_ID_VARIABLE]: lane.runId }, lane.principal);
      const state = answer.data?.[STATUS_KEY] as { status?: string; eventSequence?: number } | null | undefined;
      return {
        data: answer.data,
        errors: answer.errors?.map((e) => new GraphQLError(e.message, { path: subscriberPath(lane.plan, e.path), extensions: e.extensions })),
        status: state?.status,
        sequence: state?.eventSequence,
      };
    } catch (err) {
      deps.logger.error({ err, executionId: lane.runId }, 'resolving a subscription update failed');
      return { errors: [new GraphQLError('Could not resolve the update', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })] };
    } finally {
      deps.onResolved?.(performance.now() - started, subscribers);
    }
  }

  function outcome(lane: Lane, item: Item, answer: Answer): { result: ExecutionResult; over: boolean } {
    if (!answer.data || !answer.status) {
      // No state at all: another tenant's or an unknown run (NOT_FOUND) ends the subscription with the error.
      const notFound = answer.errors?.some((e) => e.extensions.code === 'NOT_FOUND') ?? false;
      return { result: { data: null, errors: answer.errors }, over: notFound || item.terminal };
    }
    // A snapshot is the state as read, so it carries the sequence read with it: events at or below it are in it.
    const event = item.snapshot ? { ...item.event, sequence: answer.sequence ?? null } : item.event;
    const result = render(lane.plan, answer.data, event);
    if (answer.errors?.length) result.errors = [...(result.errors ?? []), ...answer.errors];
    return { result, over: item.terminal || (item.snapshot && TERMINAL_STATUSES.has(answer.status)) };
  }

  return {
    add,
    remove,
    publish,
    stats: () => ({ runs: byRun.size, tenants: byTenant.size, lanes: lanes.size }),
  };
}
export type Hub = ReturnType<typeof createHub>;
