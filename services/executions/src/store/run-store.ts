import { appendOutbox, newId, outboxJson, runPrepared, TENANT_FILTER, type EntityManager, type OutboxMessage } from '@rowline/kit';
import { ExecutionEntity, type ArtifactRef, type Execution, type RunError, type RunFileRef } from './entities.js';
import { eventMessage, requestedMessage, statusEvent, type EventPayload } from '../events/messages.js';
import { isTerminal, sourcesOf, type Phase, type Status } from '../domain/state-machine.js';

const SYSTEM = { filters: { [TENANT_FILTER]: false } } as const;

export type ClaimResult =
  | { kind: 'claimed'; run: Execution }
  | { kind: 'terminal' }
  | { kind: 'busy'; retryAt: Date }
  /** Its tenant has no free slot, or an older run of the tenant has not started yet: the run is QUEUED until its turn. */
  | { kind: 'queued' }
  /** Its deadline passed before it could (re)start: the caller ends it TIMED_OUT. */
  | { kind: 'late'; run: Execution }
  | { kind: 'missing' };

/**
 * A run as a transition needs it. `sequence`, when given, is the run's last event sequence as its owner
 * knows it: the owner's moves then take one statement (see `moveOwned`) and keep it up to date.
 */
export type RunRef = { id: string; tenantId: string; workflowId: string; sequence?: number };

export type Change = {
  status: Status; phase?: Phase | null; error?: RunError | null; artifacts?: ArtifactRef[] | null; rowsProcessed?: number;
  steps?: Array<{ index: number; type: string; status: string; rowsIn: number; rowsOut: number; durationMs: number }>;
  logs?: Array<{ level: string; message: string; step?: number | null; at?: Date }>;
  events: EventPayload[];
  /** Narrows the legal sources of the move (never widens them): e.g. time out only a QUEUED or RUNNING run. */
  from?: Status[];
  /** Moves the run only if its lease expired: the sweeper's redo must not take a live run from its worker. */
  onlyIfLeaseExpired?: boolean;
  /** Further outbox messages written in the same transaction (a re-request of the run for its redo). */
  extra?: OutboxMessage[];
};

export type OverdueRun = RunRef & { attempt: number; request: OutboxMessage };

type LiveRow = { id: string; tenant_id: string; workflow_id: string; workflow_version_id: string; input_file_id: string; attempt: number };
const requestOf = (r: LiveRow) => requestedMessage({
  id: r.id, tenantId: r.tenant_id, workflowId: r.workflow_id, workflowVersionId: r.workflow_version_id, inputFileId: r.input_file_id, attempt: r.attempt,
});

type ChildRows = {
  steps: Array<{ index: number; type: string; status: string; rows_in: number; rows_out: number; duration_ms: number }> | null;
  logs: Array<{ id: string; at: string; level: string; message: string; step: number | null }>;
  outbox: Array<{ topic: string; key: string; payload: string; headers: Record<string, string> }>;
};

/** What a move writes besides the run's row, as one JSON document for CHILD_CTES; events numbered from `first`. */
function childRows(run: RunRef, change: Change, first: number): ChildRows {
  return {
    steps: change.steps?.length
      ? change.steps.map((s) => ({ index: s.index, type: s.type, status: s.status, rows_in: s.rowsIn, rows_out: s.rowsOut, duration_ms: s.durationMs }))
      : null,
    // Ids made here, in the lines' order (time-ordered and increasing within a process): lines of one move share
    // their moment, and `logs` orders by (at, id), so they are answered in the order they were written.
    logs: (change.logs ?? []).map((l) => ({ id: newId(), at: (l.at ?? new Date()).toISOString(), level: l.level, message: l.message.slice(0, 4000), step: l.step ?? null })),
    outbox: outboxJson([...change.events.map((payload, i) => eventMessage(run, first + i, payload)), ...(change.extra ?? [])]),
  };
}

/**
 * The step records (a redo replaces those of the earlier attempt: rows it no longer has go, the others are
 * overwritten), the log lines and the outbox rows of a move, from one JSON parameter, as CTEs of one
 * statement; each writes only when `guard` (SQL) holds. Parameters: the run's id, its tenant, the ChildRows
 * JSON, as `?` in that order, or the placeholders given (a prepared statement's `$n`). The outbox rows get
 * their ids in their array order.
 */
const childCtes = (guard: string, [id, tenant, doc] = ['?', '?', '?']) =>
  `"input" as (select ${id}::uuid as "execution_id", ${tenant}::uuid as "tenant_id", ${doc}::jsonb as "doc"),
       "old_steps" as (
         delete from "executions"."step_runs" s using "input" i
          where ${guard} and s."execution_id" = i."execution_id" and i."doc"->'steps' <> 'null'::jsonb
            and not (s."index" = any (select (e->>'index')::int from jsonb_array_elements(i."doc"->'steps') e))),
       "new_steps" as (
         insert into "executions"."step_runs" ("id", "tenant_id", "execution_id", "index", "type", "status", "rows_in", "rows_out", "duration_ms")
         select gen_random_uuid(), i."tenant_id", i."execution_id", s."index", s."type", s."status", s."rows_in", s."rows_out", s."duration_ms"
           from "input" i, jsonb_to_recordset(coalesce(nullif(i."doc"->'steps', 'null'::jsonb), '[]'::jsonb))
                as s("index" int, "type" text, "status" text, "rows_in" bigint, "rows_out" bigint, "duration_ms" int)
          where ${guard}
         on conflict ("execution_id", "index") do update set "type" = excluded."type", "status" = excluded."status",
            "rows_in" = excluded."rows_in", "rows_out" = excluded."rows_out", "duration_ms" = excluded."duration_ms"),
       "new_logs" as (
         insert into "executions"."execution_logs" ("id", "tenant_id", "execution_id", "at", "level", "message", "step")
         select l."id", i."tenant_id", i."execution_id", l."at", l."level", l."message", l."step"
           from "input" i, jsonb_to_recordset(i."doc"->'logs') as l("id" uuid, "at" timestamptz, "level" text, "message" text, "step" int)
          where ${guard}),
       "new_outbox" as (
         insert into "executions"."outbox" ("topic", "key", "payload", "headers")
         select o."m"->>'topic', o."m"->>'key', decode(o."m"->>'payload', 'base64'), o."m"->'headers'
           from "input" i, jsonb_array_elements(i."doc"->'outbox') with ordinality as o("m", "n")
          where ${guard}
          order by o."n")`;

/** A row of "executions"."executions" as the ORM's pool answers it: int8 and timestamptz as text, jsonb parsed. */
type ExecutionRow = {
  id: string; tenant_id: string; workflow_id: string; workflow_version_id: string; input_file_id: string; input_file_name: string;
  input_storage_key: string; input_size: string | null; files: RunFileRef[] | null; steps: Execution['steps']; status: Execution['status']; phase: Execution['phase']; progress_percent: number | null;
  rows_processed: string; idempotency_key: string; requested_by: string; error: RunError | null; artifacts: ArtifactRef[] | null;
  attempt: number; lease_owner: string | null; lease_expires_at: string | null; sequence: string; retry_of: string | null; timeout_ms: number;
  created_at: string; started_at: string | null; finished_at: string | null;
};

/** A timestamptz as Postgres writes it (`2026-11-30 22:25:47.235159+00`), as a Date (to the millisecond, as the ORM reads it). */
const dateOf = (text: string) => new Date(text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));

/**
 * A claimed run as a plain object with the entity's properties. MikroORM's `em.map` (a fork, the entity
 * factory, validation and a merge into the identity map) was about 5% of an engine worker's CPU under load
 * (`perf`), for a run that is only read.
 */
const executionOf = (r: ExecutionRow): Execution => ({
  id: r.id, tenantId: r.tenant_id, workflowId: r.workflow_id, workflowVersionId: r.workflow_version_id, inputFileId: r.input_file_id,
  inputFileName: r.input_file_name, inputStorageKey: r.input_storage_key,
  inputSize: r.input_size === null ? null : Number(r.input_size), files: r.files ?? null, steps: r.steps, status: r.status, phase: r.phase,
  progressPercent: r.progress_percent, rowsProcessed: Number(r.rows_processed), idempotencyKey: r.idempotency_key, requestedBy: r.requested_by,
  error: r.error, artifacts: r.artifacts, attempt: r.attempt, leaseOwner: r.lease_owner,
  leaseExpiresAt: r.lease_expires_at === null ? null : dateOf(r.lease_expires_at), sequence: Number(r.sequence), retryOf: r.retry_of,
  timeoutMs: r.timeout_ms, createdAt: dateOf(r.created_at), startedAt: r.started_at === null ? null : dateOf(r.started_at),
  finishedAt: r.finished_at === null ? null : dateOf(r.finished_at),
}) as Execution;

/** The claim of a run without a tenant limit: one conditional UPDATE (see `claim`). */
const CLAIM_FREE = {
  name: 'executions.claim-free',
  text: `update "executions"."executions"
            set "status" = 'RUNNING', "phase" = 'INITIALIZING', "lease_owner" = $1, "attempt" = "attempt" + 1,
                "lease_expires_at" = now() + ($2 * interval '1 millisecond'), "started_at" = coalesce("started_at", clock_timestamp()),
                "error" = null, "artifacts" = null, "progress_percent" = 0, "rows_processed" = 0
          where "id" = $3 and ("status" in ('PENDING', 'QUEUED') or ("status" = 'RUNNING' and "lease_expires_at" < now()))
            and ("started_at" is null or "started_at" + "timeout_ms" * interval '1 millisecond' >= now())
          returning *`,
};

/**
 * An owner's move in one statement (see `moveOwned`): the UPDATE guarded by status, owner and sequence, the
 * child rows written only if it matched, and the run's sequence as it is now. Parameters: status, phase,
 * error, artifacts, events, terminal, releases the lease, rows processed, id, legal sources, owner, sequence
 * known, tenant, child rows.
 */
const MOVE_OWNED = {
  name: 'executions.move-owned',
  text: `with "moved" as (
       update "executions"."executions"
          set "status" = $1, "phase" = $2, "error" = $3, "artifacts" = coalesce($4, "artifacts"),
              "sequence" = "sequence" + $5, "finished_at" = case when $6 then clock_timestamp() else "finished_at" end,
              "lease_owner" = case when $7 then null else "lease_owner" end,
              "progress_percent" = case when $1 = 'SUCCEEDED' then 100 else "progress_percent" end,
              "rows_processed" = coalesce($8, "rows_processed")
        where "id" = $9 and "status" = any($10::text[]) and "lease_owner" = $11 and "sequence" = $12
        returning "id"),
     ${childCtes('exists (select 1 from "moved")', ['$9', '$13', '$14'])}
     select (select count(*)::int from "moved") as "moved", (select "sequence"::text from "executions"."executions" where "id" = $9) as "sequence"`,
};

/**
 * The worker-side writes of a run. Each is a conditional UPDATE on (status, lease owner), so a worker that
 * lost its lease, or a redelivered message, can never move a run it does not own. Every status change goes
 * through `transition`, whose WHERE is the state machine's `sourcesOf`.
 *
 * `tenantLimit` (0: none) bounds the RUNNING runs of one tenant. Claims and slot releases of a tenant take
 * its advisory lock, so the count a claim reads is exact and a release always sees the runs waiting.
 */
export function createRunStore(deps: { em: () => EntityManager; tenantLimit?: number }) {
  const limit = deps.tenantLimit ?? 0;
  // Prepared statements and plain `execute`s need only the pool, not a fork's identity map: one fork serves
  // them all (a fork per statement showed in the worker's CPU profile, about 0.16 ms each).
  let pooled: EntityManager | undefined;
  const statements = () => (pooled ??= deps.em());
  const lockTenant = (tx: EntityManager, tenantId: string) =>
    tx.execute('select pg_advisory_xact_lock(hashtext(?))', [`executions.tenant:${tenantId}`]);

  /** Re-requests the oldest QUEUED runs of a tenant, as many as it has free slots. */
  async function promote(tx: EntityManager, tenantId: string, except: string | null): Promise<number> {
    if (!limit) return 0;
    const [{ running } = { running: 0 }] = await tx.execute<{ running: number }[]>(
      `select count(*)::int as "running" from "executions"."executions"
        where "tenant_id" = ? and "status" = 'RUNNING' and "lease_expires_at" >= now()`, [tenantId]);
    const free = limit - running;
    if (free <= 0) return 0;
    const waiting = await tx.execute<LiveRow[]>(
      `select "id", "tenant_id", "workflow_id", "workflow_version_id", "input_file_id", "attempt" from "executions"."executions"
        where "tenant_id" = ? and "status" = 'QUEUED' and "id" <> ? order by "id" limit ?`, [tenantId, except ?? '00000000-0000-0000-0000-000000000000', free]);
    await appendOutbox(tx, 'executions', waiting.map(requestOf));
    return waiting.length;
  }

  async function move(tx: EntityManager, run: RunRef, owner: string | null, change: Change): Promise<boolean> {
    const terminal = isTerminal(change.status);
    const releases = limit > 0 && (terminal || change.status === 'QUEUED');
    if (releases) await lockTenant(tx, run.tenantId);
    const sources = sourcesOf(change.status).filter((s) => !change.from || change.from.includes(s));
    if (!sources.length) return false;
    const [row] = await tx.execute<{ sequence: string }[]>(
      `update "executions"."executions"
          set "status" = ?, "phase" = ?, "error" = ?, "artifacts" = coalesce(?, "artifacts"),
              "sequence" = "sequence" + ?, "finished_at" = case when ? then clock_timestamp() else "finished_at" end,
              "lease_owner" = case when ? then null else "lease_owner" end,
              "progress_percent" = case when ? = 'SUCCEEDED' then 100 else "progress_percent" end,
              "rows_processed" = coalesce(?, "rows_processed")
        where "id" = ? and "status" in (?) and (?::text is null or "lease_owner" = ?)
          and (not ? or "lease_expires_at" < now())
        returning "sequence"`,
      [
        change.status, change.phase ?? null, change.error ? JSON.stringify(change.error) : null,
        change.artifacts ? JSON.stringify(change.artifacts) : null, change.events.length, terminal,
        terminal || change.status === 'QUEUED', change.status, change.rowsProcessed ?? null, run.id, sources, owner, owner,
        change.onlyIfLeaseExpired ?? false,
      ],
    );
    if (!row) return false;
    const last = Number(row.sequence);
    const rows = childRows(run, change, last - change.events.length + 1);
    await tx.execute(`with ${childCtes('true')} select 1`, [run.id, run.tenantId, JSON.stringify(rows)]);
    if (typeof run.sequence === 'number') run.sequence = last;
    if (releases) await promote(tx, run.tenantId, change.status === 'QUEUED' ? run.id : null);
    return true;
  }

  /**
   * An owner's move in one statement, with no transaction round trips: the UPDATE is conditional on the
   * run's status, its owner and the sequence the owner last wrote, and the step, log and outbox rows are
   * written by the same statement only if it matched. Null when the sequence was not what the owner
   * knew (somebody else wrote an event): the caller then takes the transactional path, which reads it.
   */
  async function moveOwned(run: RunRef & { sequence: number }, owner: string, change: Change): Promise<boolean | null> {
    const sources = sourcesOf(change.status).filter((s) => !change.from || change.from.includes(s));
    if (!sources.length) return false;
    const terminal = isTerminal(change.status);
    const rows = childRows(run, change, run.sequence + 1);
    const [result] = await runPrepared<{ moved: number; sequence: string | null }>(statements(), MOVE_OWNED, [
      change.status, change.phase ?? null, change.error ? JSON.stringify(change.error) : null,
      change.artifacts ? JSON.stringify(change.artifacts) : null, change.events.length, terminal,
      terminal || change.status === 'QUEUED', change.rowsProcessed ?? null, run.id, sources, owner, run.sequence,
      run.tenantId, JSON.stringify(rows),
    ]);
    if (result!.moved === 1) {
      run.sequence += change.events.length;
      return true;
    }
    // Not moved: the run is gone from this owner (the usual case), or its sequence moved on under it.
    return result!.sequence !== null && Number(result!.sequence) !== run.sequence ? null : false;
  }

  return {
    tenantLimit: limit,

    /**
     * Takes the run for `owner` if nobody holds a live lease on it and its tenant has a free slot. The run
     * answered is read only: a plain object without a tenant limit, an ORM entity with one (its claim reads
     * and locks in a transaction); both have the entity's properties.
     */
    async claim(executionId: string, owner: string, leaseMs: number): Promise<ClaimResult> {
      // Without a tenant limit a claim is one conditional statement; anything it does not take (finished,
      // running elsewhere, late, missing) is told apart by the transactional path below.
      if (!limit) {
        const [row] = await runPrepared<ExecutionRow>(statements(), CLAIM_FREE, [owner, leaseMs, executionId]);
        if (row) return { kind: 'claimed', run: executionOf(row) };
      }
      return deps.em().transactional(async (tx) => {
        const run = await tx.findOne(ExecutionEntity, { id: executionId }, { ...SYSTEM, refresh: true });
        if (!run) return { kind: 'missing' };
        if (isTerminal(run.status)) return { kind: 'terminal' };
        const now = Date.now();
        const expired = run.status === 'RUNNING' && (run.leaseExpiresAt?.getTime() ?? 0) < now;
        if (run.status === 'RUNNING' && !expired) return { kind: 'busy', retryAt: run.leaseExpiresAt ?? new Date(now + leaseMs) };
        if (run.startedAt && run.startedAt.getTime() + run.timeoutMs < now) return { kind: 'late', run };
        if (limit) {
          await lockTenant(tx, run.tenantId);
          const [slot] = await tx.execute<{ running: number; older: boolean }[]>(
            `select (select count(*)::int from "executions"."executions" where "tenant_id" = ? and "status" = 'RUNNING'
                       and "id" <> ? and "lease_expires_at" >= now()) as "running",
                    exists (select 1 from "executions"."executions" where "tenant_id" = ? and "status" in ('PENDING', 'QUEUED') and "id" < ?) as "older"`,
            [run.tenantId, run.id, run.tenantId, run.id]);
          if (slot!.running >= limit || slot!.older) {
            if (run.status === 'PENDING') {
              await move(tx, run, null, { status: 'QUEUED', from: ['PENDING'], phase: null, events: [statusEvent('QUEUED', null)] });
            }
            return { kind: 'queued' };
          }
        }
        const rows = await tx.execute<{ id: string }[]>(
          `update "executions"."executions"
              set "status" = 'RUNNING', "phase" = 'INITIALIZING', "lease_owner" = ?, "attempt" = "attempt" + 1,
                  "lease_expires_at" = now() + (? * interval '1 millisecond'), "started_at" = coalesce("started_at", clock_timestamp()),
                  "error" = null, "artifacts" = null, "progress_percent" = 0, "rows_processed" = 0
            where "id" = ? and ("status" in ('PENDING', 'QUEUED') or ("status" = 'RUNNING' and "lease_expires_at" < now()))
            returning "id"`,
          [owner, leaseMs, executionId],
        );
        if (!rows.length) return { kind: 'busy', retryAt: new Date(now + leaseMs) };
        // Runs that queued behind this one (it was older) get the slots still free.
        if (limit) await promote(tx, run.tenantId, run.id);
        return { kind: 'claimed', run: await tx.findOneOrFail(ExecutionEntity, { id: executionId }, { ...SYSTEM, refresh: true }) };
      });
    },

    /** The run's event sequence while `owner` holds it RUNNING; null when it does not. */
    async ownedSequence(executionId: string, owner: string): Promise<number | null> {
      const [row] = await statements().execute<{ sequence: string }[]>(
        `select "sequence" from "executions"."executions" where "id" = ? and "lease_owner" = ? and "status" = 'RUNNING'`,
        [executionId, owner],
      );
      return row ? Number(row.sequence) : null;
    },

    /** Extends the lease; false means it was lost (expired and taken, or the run was cancelled). */
    async heartbeat(executionId: string, owner: string, leaseMs: number): Promise<boolean> {
      const rows = await statements().execute<{ id: string }[]>(
        `update "executions"."executions" set "lease_expires_at" = now() + (? * interval '1 millisecond')
          where "id" = ? and "lease_owner" = ? and "status" = 'RUNNING' returning "id"`,
        [leaseMs, executionId, owner],
      );
      return rows.length === 1;
    },

    /** Of the runs `owner` is running, those it no longer owns (cancelled, timed out, taken over): one query for all. */
    async lost(executionIds: string[], owner: string): Promise<Array<{ id: string; status: Status }>> {
      if (!executionIds.length) return [];
      return statements().execute<Array<{ id: string; status: Status }>>(
        `select "id", "status" from "executions"."executions"
          where "id" in (?) and not ("status" = 'RUNNING' and "lease_owner" is not distinct from ?)`,
        [executionIds, owner],
      );
    },

    async setProgress(executionId: string, owner: string, p: { phase: Phase; percent: number | null; rowsProcessed: number }) {
      await statements().execute(
        `update "executions"."executions" set "phase" = ?, "progress_percent" = ?, "rows_processed" = ?
          where "id" = ? and "lease_owner" = ? and "status" = 'RUNNING'`,
        [p.phase, p.percent, p.rowsProcessed, executionId, owner],
      );
    },

    /**
     * Moves a run (owned by `owner`, or any run when `owner` is null) and appends its events to the outbox in
     * one transaction. Returns false when the move is not (or no longer) legal: the caller drops its result.
     */
    async transition(run: RunRef, owner: string | null, change: Change): Promise<boolean> {
      const releases = limit > 0 && (isTerminal(change.status) || change.status === 'QUEUED');
      if (owner !== null && typeof run.sequence === 'number' && !releases && !change.extra?.length && !change.onlyIfLeaseExpired) {
        const moved = await moveOwned(run as RunRef & { sequence: number }, owner, change);
        if (moved !== null) return moved;
      }
      return deps.em().transactional((tx) => move(tx, run, owner, change));
    },

    /** Re-requests the waiting runs of every tenant that has free slots: the backstop of the release path. */
    async promoteAll(): Promise<number> {
      if (!limit) return 0;
      const tenants = await deps.em().execute<{ tenant_id: string }[]>(
        `select distinct "tenant_id" from "executions"."executions" where "status" = 'QUEUED'`);
      let sent = 0;
      for (const t of tenants) {
        sent += await deps.em().transactional(async (tx) => { await lockTenant(tx, t.tenant_id); return promote(tx, t.tenant_id, null); });
      }
      return sent;
    },

    /**
     * Requests again the runs still PENDING `olderThanMs` after they were accepted: their request reached
     * Kafka before any engine worker group existed (a new group starts at the end of the log) or was
     * dead-lettered. A duplicate request is harmless: the claim decides.
     */
    async rerequestStale(olderThanMs: number): Promise<number> {
      return deps.em().transactional(async (tx) => {
        const stale = await tx.execute<LiveRow[]>(
          `select "id", "tenant_id", "workflow_id", "workflow_version_id", "input_file_id", "attempt" from "executions"."executions"
            where "status" = 'PENDING' and "created_at" < now() - (? * interval '1 millisecond') order by "id" limit 500`, [olderThanMs]);
        await appendOutbox(tx, 'executions', stale.map(requestOf));
        return stale.length;
      });
    },

    /** Live runs past their deadline, and RUNNING runs whose lease expired (their worker died): the sweeper's work. */
    async overdue(): Promise<{ late: OverdueRun[]; orphaned: OverdueRun[] }> {
      const rows = await deps.em().execute<Array<LiveRow & { late: boolean }>>(
        `select "id", "tenant_id", "workflow_id", "workflow_version_id", "input_file_id", "attempt",
                "started_at" + "timeout_ms" * interval '1 millisecond' < now() as "late"
           from "executions"."executions"
          where ("status" in ('QUEUED', 'RUNNING') and "started_at" + "timeout_ms" * interval '1 millisecond' < now())
             or ("status" = 'RUNNING' and "lease_expires_at" < now())`);
      const toRun = (r: LiveRow): OverdueRun => ({ id: r.id, tenantId: r.tenant_id, workflowId: r.workflow_id, attempt: r.attempt, request: requestOf(r) });
      return { late: rows.filter((r) => r.late).map(toRun), orphaned: rows.filter((r) => !r.late).map(toRun) };
    },

  };
}
export type RunStore = ReturnType<typeof createRunStore>;
