import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createKafkaBus } from '@rowline/bus';
import { createLogger } from '@rowline/kit';
import { decodeExecutionEvent, ExecutionStatus, TOPICS } from '@rowline/proto';
import { expect } from 'vitest';
import type { ExecutionsPlatform } from '../../support/platform.js';
import { until } from '../../support/until.js';

type Seen = { eventId: string; sequence: number; kind: string; status?: string };
const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

/**
 * Records every accepted run and every effect (events on executions.events, read by a tap consumer of its
 * own; artifacts registered with the files service and stored) and checks the pipeline's promise: no run
 * lost, no terminal event twice, exactly one artifact set per run, each run's events in order.
 */
export async function startChecker(p: ExecutionsPlatform, brokers: string[]) {
  const bus = createKafkaBus({ brokers, clientId: 'checker', topicPrefix: p.topicPrefix, logger: createLogger({ service: 'checker', level: 'silent' }) });
  const events = new Map<string, Seen[]>();
  const sub = await bus.subscribe({
    topics: [TOPICS.executionEvents], groupId: `checker-${randomUUID()}`, fromBeginning: true,
    handler: async (m) => {
      const e = decodeExecutionEvent(m.value);
      const seen: Seen = { eventId: e.meta?.eventId ?? '', sequence: Number(e.sequence), kind: e.payload.case ?? 'unknown' };
      if (e.payload.case === 'statusChanged') seen.status = ExecutionStatus[e.payload.value.status];
      events.set(e.executionId, [...(events.get(e.executionId) ?? []), seen]);
    },
  });
  await sub.ready;
  const accepted = new Map<string, string>();
  /** Distinct events of a run (a republished one counts once: consumers are idempotent by event id), outbox events only. */
  const distinct = (id: string) => {
    const ids = new Set<string>();
    return (events.get(id) ?? []).filter((e) => e.sequence > 0 && !ids.has(e.eventId) && ids.add(e.eventId));
  };
  const terminalOf = (id: string) => distinct(id).filter((e) => e.kind === 'statusChanged' && TERMINAL.includes(e.status!));

  /** What a run that did not end looks like: its row, its outbox rows, the events seen and the workers' last lines. */
  const explain = async (id: string) => {
    const [row] = await p.sql('select "status", "phase", "attempt", "lease_owner", "lease_expires_at", "sequence", "error", "started_at", "finished_at" from "executions"."executions" where "id" = ?', [id]);
    const outbox = await p.sql('select "id", "topic", "created_at", "sent_at" from "executions"."outbox" where "key" = ? order by "id"', [id]);
    return [
      `run: ${JSON.stringify(row)}`,
      `outbox: ${JSON.stringify(outbox)}`,
      `events seen: ${JSON.stringify(events.get(id) ?? [])}`,
      ...outputs.map((o, i) => `worker ${i}:\n${o()}`),
    ].join('\n');
  };
  const outputs: Array<() => string> = [];

  return {
    events,
    /** A worker's output, shown when a run does not end. */
    watch(output: () => string) { outputs.push(output); },
    accept(id: string, tenantId: string) { accepted.set(id, tenantId); },
    ended: (id: string) => until(`the terminal event of ${id}`, async () => terminalOf(id)[0]?.status, 90_000)
      .catch(async (err: Error) => { throw new Error(`${err.message}\n${await explain(id)}`, { cause: err }); }),
    /** Waits for every accepted run to end, then checks each (the expected status and artifact names given). */
    async verify(expected: { status: string; artifacts: string[] } = { status: 'SUCCEEDED', artifacts: ['summary.xlsx'] }) {
      for (const [id, tenantId] of accepted) {
        await this.ended(id);
        const seen = distinct(id);
        expect(terminalOf(id).map((e) => e.status), `terminal events of ${id}`).toEqual([expected.status]);
        const sequences = seen.map((e) => e.sequence);
        expect(sequences, `event order of ${id}`).toEqual(Array.from({ length: sequences.length }, (_, i) => i + 1));
        const [row] = await p.sql<{ status: string; artifacts: Array<{ fileId: string; name: string }> | null; sequence: string }>(
          'select "status", "artifacts", "sequence" from "executions"."executions" where "id" = ?', [id]);
        expect(row, `run ${id}`).toMatchObject({ status: expected.status });
        expect(Number(row!.sequence), `every event of ${id} reached the topic`).toBe(sequences.length);
        const files = await p.sql<{ id: string; name: string }>(
          `select "id", "name" from "files"."files" where "execution_id" = ? and "kind" = 'ARTIFACT' order by "name"`, [id]);
        expect(files.map((f) => f.name), `artifacts registered for ${id}`).toEqual(expected.artifacts);
        expect((row!.artifacts ?? []).map((a) => a.fileId).sort()).toEqual(files.map((f) => f.id).sort());
        const stored = await readdir(join(p.storageDir, tenantId, 'artifacts', id)).catch(() => []);
        expect(stored.filter((f) => !f.startsWith('.')).sort(), `artifacts stored for ${id}`).toEqual(expected.artifacts);
      }
    },
    async stop() { await sub.stop(); await bus.close(); },
  };
}
