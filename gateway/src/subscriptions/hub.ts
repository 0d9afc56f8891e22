import { GraphQLError, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { Logger, Principal } from '@rowline/kit';
import { snapshotEvent, TERMINAL_STATUSES, type RunEvent, type UpdateEvent } from './events.js';
import { answerOf, EXECUTION_IDS_VARIABLE, render, runsWithin, STATUS_KEY, subscriberPath, type SubscriptionPlan } from './plan.js';
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
/** A run's updates waiting for one subscriber group, in order. */
type Lane = { runId: string; items: Item[]; busy: boolean; ready: boolean };
/**
 * The lanes of one subscriber group: at most one resolution in flight, which reads every ready lane's run
 * together (up to MAX_BATCH updates and the cost limit), so that a feed's runs cost a query per batch of runs.
 */
type Group = { key: string; plan: SubscriptionPlan; principal: Principal; lanes: Map<string, Lane>; ready: Lane[]; inFlight: boolean; scheduled: boolean };

/**
 * Routes run events to subscribers of the same tenant and resolves updates once per subscriber group: a lane
 * per (group, run) keeps that run's updates in order for the group and coalesces progress that piles up; the
 * group resolves its lanes' runs together, one resolution at a time, so that under load one query serves the
 * many runs whose events came meanwhile. Resolving never blocks the bus consumer.
 */
export function createHub(deps: {
  resolve: Resolve; logger: Logger; onResolved?: (ms: number, subscribers: number) => void;
  /** The gateway's cost limit for one operation (limits/config.ts): a resolution reads as many runs as stay within it. */
  maxCost?: number;
}) {
  const byRun = new Map<string, Set<Subscriber>>();
  const byTenant = new Map<string, Set<Subscriber>>();
  const groups = new Map<string, Group>();
  // The last status each run's events announced, for the feed's status filter (progress and logs do not say it).
  const lastStatus = new Map<string, string>();
  const MAX_TRACKED_RUNS = 100_000;
  // Updates one resolution serves, over all its runs: bounds the burst a subscriber's queue takes at once (see its limit).
  const MAX_BATCH = 32;
  const maxCost = deps.maxCost ?? Infinity;

  // Run ids are UUIDs, which Postgres reads in any case and events carry in lower case: `executionUpdated(id:
  // "0192…AB")` follows the run that `execution(id:)` answers for the same text.
  const runOf = (sub: Subscriber) => String(sub.plan.args.id).toLowerCase();
  const index = (sub: Subscriber): [Map<string, Set<Subscriber>>, string] =>
    sub.plan.field === 'executionUpdated' ? [byRun, runOf(sub)] : [byTenant, sub.principal.tenantId];

  function add(sub: Subscriber): void {
    const [map, key] = index(sub);
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(sub);
    if (sub.plan.field === 'executionUpdated') {
      enqueue(sub, runOf(sub), { event: snapshotEvent(), coalescable: false, terminal: false, snapshot: true, subs: new Set([sub]) });
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
    const routed = new Map<string, Set<Subscriber>>();
    const route = (sub: Subscriber) => {
      let set = routed.get(sub.groupKey);
      if (!set) routed.set(sub.groupKey, (set = new Set()));
      set.add(sub);
    };
    // The tenant check is the isolation boundary: a run id alone never reaches another tenant's subscriber.
    for (const sub of byRun.get(ev.executionId) ?? []) if (sub.principal.tenantId === ev.tenantId) route(sub);
    for (const sub of byTenant.get(ev.tenantId) ?? []) if (matchesFeed(sub, ev, status)) route(sub);
    for (const subs of routed.values()) {
      const first = subs.values().next().value!;
      enqueue(first, ev.executionId, { event: ev.event, coalescable: ev.coalescable, terminal: ev.terminal, snapshot: false, subs });
    }
  }

  function enqueue(sub: Subscriber, runId: string, item: Item): void {
    let group = groups.get(sub.groupKey);
    if (!group) {
      group = { key: sub.groupKey, plan: sub.plan, principal: sub.principal, lanes: new Map(), ready: [], inFlight: false, scheduled: false };
      groups.set(group.key, group);
    }
    let lane = group.lanes.get(runId);
    if (!lane) group.lanes.set(runId, (lane = { runId, items: [], busy: false, ready: false }));
    const tail = lane.items[lane.items.length - 1];
    // Waiting progress gives way to newer progress; waiting snapshots are one read of the current state.
    if (tail && ((tail.coalescable && item.coalescable) || (tail.snapshot && item.snapshot))) {
      tail.event = item.event;
      for (const s of item.subs) tail.subs.add(s);
    } else {
      lane.items.push(item);
    }
    markReady(group, lane);
  }

  function markReady(group: Group, lane: Lane): void {
    if (lane.busy || lane.ready || lane.items.length === 0) return;
    lane.ready = true;
    group.ready.push(lane);
    schedule(group);
  }

  /**
   * A resolution starts on the next turn of the event loop: the events that came with this one (a move's
   * steps, its status and its outcome, other runs' moves, all in one Kafka batch handled within one turn) join
   * their lanes first and share it.
   */
  function schedule(group: Group): void {
    if (group.scheduled || group.inFlight || group.ready.length === 0) return;
    group.scheduled = true;
    setImmediate(() => {
      group.scheduled = false;
      void resolveGroup(group);
    });
  }

  /**
   * One resolution serves every item it takes from the ready lanes: it reads each run's current state, which is
   * at least as new as each of its waiting events, and each item is still sent, in order, with its own `event`.
   */
  async function resolveGroup(group: Group): Promise<void> {
    if (group.inFlight) return;
    const runsAtMost = Math.min(MAX_BATCH, runsWithin(group.plan, maxCost));
    const taken: Array<{ lane: Lane; items: Item[] }> = [];
    let room = MAX_BATCH;
    const passed: Lane[] = [];
    while (group.ready.length && room > 0 && taken.length < runsAtMost) {
      const lane = group.ready.shift()!;
      lane.ready = false;
      const items = lane.items.splice(0, room).filter((item) => [...item.subs].some((s) => !s.queue.closed));
      if (items.length === 0) { passed.push(lane); continue; }
      room -= items.length;
      lane.busy = true;
      taken.push({ lane, items });
    }
    for (const lane of passed) settle(group, lane);
    if (taken.length === 0) return;
    group.inFlight = true;
    try {
      const answers = await resolveStates(group, taken.map((t) => t.lane.runId), taken.reduce((n, t) => n + t.items.reduce((m, item) => m + item.subs.size, 0), 0));
      taken.forEach(({ items }, i) => {
        for (const item of items) {
          const { result, over } = outcome(item, answers[i]!, group.plan);
          for (const s of item.subs) if (!s.queue.closed) s.queue.push(result, item.coalescable, over && s.plan.field === 'executionUpdated');
        }
      });
    } finally {
      group.inFlight = false;
      for (const { lane } of taken) {
        lane.busy = false;
        settle(group, lane);
      }
      schedule(group);
    }
  }

  /** A lane out of a resolution: ready again when updates came meanwhile, else gone (and its group, once empty). */
  function settle(group: Group, lane: Lane): void {
    if (lane.items.length) return markReady(group, lane);
    group.lanes.delete(lane.runId);
    if (group.lanes.size === 0 && !group.inFlight && groups.get(group.key) === group) groups.delete(group.key);
  }

  type Answer = { data?: Record<string, unknown> | null; errors?: GraphQLError[]; status?: string; sequence?: number };

  async function resolveStates(group: Group, runIds: string[], subscribers: number): Promise<Answer[]> {
    const started = performance.now();
    try {
      const answer = await deps.resolve(group.plan.query, { ...group.plan.queryVariables, [EXECUTION_IDS_VARIABLE]: runIds }, group.principal);
      return runIds.map((_, i) => {
        const part = answerOf(answer, i);
        const state = part.data?.[STATUS_KEY] as { status?: string; eventSequence?: number } | null | undefined;
        // A run that cannot be read (NOT_FOUND) fails every root field alike: its status's error says it once.
        const own = state ? undefined : part.errors?.filter((e) => e.path?.length === 1 && e.path[0] === STATUS_KEY);
        return {
          data: part.data,
          errors: (own?.length ? own : part.errors)?.map((e) => new GraphQLError(e.message, { path: subscriberPath(group.plan, e.path), extensions: e.extensions })),
          status: state?.status,
          sequence: state?.eventSequence,
        };
      });
    } catch (err) {
      deps.logger.error({ err, executionIds: runIds }, 'resolving subscription updates failed');
      return runIds.map(() => ({ errors: [new GraphQLError('Could not resolve the update', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })] }));
    } finally {
      deps.onResolved?.(performance.now() - started, subscribers);
    }
  }

  function outcome(item: Item, answer: Answer, plan: SubscriptionPlan): { result: ExecutionResult; over: boolean } {
    // A null item of the subscriber's selection (a non-null field below it failed) is no state either: rendered,
    // it would add an error of our own (`Cannot return null ...`, no code) to the run's; the run's errors say why,
    // as when each run was read by a query of its own, whose `execution(id)` (non-null) nulled the whole answer.
    if (!answer.data || !answer.status || Object.values(answer.data).includes(null)) {
      // No state at all: another tenant's or an unknown run (NOT_FOUND) ends the subscription with the error.
      const notFound = answer.errors?.some((e) => e.extensions.code === 'NOT_FOUND') ?? false;
      return { result: { data: null, errors: answer.errors }, over: notFound || item.terminal };
    }
    // A snapshot is the state as read, so it carries the sequence read with it: events at or below it are in it.
    const event = item.snapshot ? { ...item.event, sequence: answer.sequence ?? null } : item.event;
    const result = render(plan, answer.data, event);
    if (answer.errors?.length) result.errors = [...(result.errors ?? []), ...answer.errors];
    return { result, over: item.terminal || (item.snapshot && TERMINAL_STATUSES.has(answer.status)) };
  }

  return {
    add,
    remove,
    publish,
    stats: () => ({ runs: byRun.size, tenants: byTenant.size, lanes: [...groups.values()].reduce((n, g) => n + g.lanes.size, 0) }),
  };
}
export type Hub = ReturnType<typeof createHub>;
