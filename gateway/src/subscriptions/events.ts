import { decodeExecutionEvent, ExecutionPhase, ExecutionStatus, type ExecutionEvent } from '@rowline/proto';

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

/** The event types that end a run: its last event is one of them, and says how it ended. */
type FinalType = 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';

/** `ExecutionUpdate.event` as clients see it. `SNAPSHOT` is the state a subscriber gets first. */
export type UpdateEvent = {
  type: 'SNAPSHOT' | 'STATUS_CHANGED' | 'STEP_FINISHED' | 'PROGRESS' | 'LOG' | FinalType;
  at: string;
  message: string | null;
  sequence: number | null;
  status: string | null;
  phase: string | null;
  percent: number | null;
  rowsProcessed: number | null;
};

/** One event of `executions.events`, reduced to what routing and the payload need. */
export type RunEvent = {
  tenantId: string;
  executionId: string;
  workflowId: string;
  event: UpdateEvent;
  /** Progress is coalescable: a newer one replaces an older one that has not been sent yet. */
  coalescable: boolean;
  /** The last event of a run: `executionUpdated` completes after it. */
  terminal: boolean;
  /** The run's status once this event happened, when the event says so. */
  status: string | null;
};

const statusName = (s: ExecutionStatus): string | null => (s === ExecutionStatus.UNSPECIFIED ? null : ExecutionStatus[s]);
const phaseName = (p: ExecutionPhase): string | null => (p === ExecutionPhase.UNSPECIFIED ? null : ExecutionPhase[p]);

/** Decodes and maps one message; undefined for a message that is not a run event (nothing to push). */
export function toRunEvent(bytes: Uint8Array): RunEvent | undefined {
  const e: ExecutionEvent = decodeExecutionEvent(bytes);
  const tenantId = e.meta?.tenantId;
  if (!tenantId || !e.executionId || !e.payload.case) return undefined;
  const ts = e.meta?.occurredAt;
  const at = (ts ? new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6)) : new Date()).toISOString();
  const base: UpdateEvent = {
    type: 'LOG', at, message: null, sequence: e.sequence > 0n ? Number(e.sequence) : null,
    status: null, phase: null, percent: null, rowsProcessed: null,
  };
  const run = { tenantId, executionId: e.executionId, workflowId: e.workflowId, coalescable: false, terminal: false };
  const p = e.payload;
  switch (p.case) {
    case 'statusChanged': {
      const status = statusName(p.value.status);
      const phase = phaseName(p.value.phase);
      // Never the last: every ending is followed by its own event (succeeded, or failed for the other three).
      return { ...run, status, event: { ...base, type: 'STATUS_CHANGED', status, phase, message: phase ? `${status} (${phase})` : status } };
    }
    case 'progress': {
      const percent = p.value.percent >= 0 ? p.value.percent : null;
      const phase = phaseName(p.value.phase);
      const rows = Number(p.value.rowsProcessed);
      return {
        ...run, coalescable: true, status: 'RUNNING',
        event: { ...base, type: 'PROGRESS', status: 'RUNNING', phase, percent, rowsProcessed: rows, message: `${phase ?? 'RUNNING'}: ${rows} rows` },
      };
    }
    case 'stepFinished': {
      const v = p.value;
      return {
        ...run, status: 'RUNNING',
        event: { ...base, type: 'STEP_FINISHED', status: 'RUNNING', message: `step ${v.index} ${v.type} ${v.status}: ${v.rowsIn} rows in, ${v.rowsOut} out in ${v.durationMs} ms` },
      };
    }
    case 'log':
      return { ...run, status: null, event: { ...base, type: 'LOG', message: `${p.value.level}: ${p.value.message}` } };
    case 'succeeded':
      return {
        ...run, terminal: true, status: 'SUCCEEDED',
        event: { ...base, type: 'SUCCEEDED', status: 'SUCCEEDED', message: `${p.value.artifacts.length} artifact(s)` },
      };
    case 'failed': {
      const type = endingOf(p.value.status, p.value.code);
      return { ...run, terminal: true, status: type, event: { ...base, type, status: type, message: `${p.value.code}: ${p.value.message}` } };
    }
    default:
      return undefined;
  }
}

/**
 * How a run that did not succeed ended. Events written before `Failed.status` existed leave it unspecified:
 * then `code` tells, as the executions service wrote CANCELLED and TIMED_OUT only for those endings.
 */
function endingOf(status: ExecutionStatus, code: string): Exclude<FinalType, 'SUCCEEDED'> {
  const named = status === ExecutionStatus.UNSPECIFIED ? code : ExecutionStatus[status];
  return named === 'CANCELLED' || named === 'TIMED_OUT' ? named : 'FAILED';
}

export function snapshotEvent(): UpdateEvent {
  return { type: 'SNAPSHOT', at: new Date().toISOString(), message: null, sequence: null, status: null, phase: null, percent: null, rowsProcessed: null };
}
