import { AppError } from '@rowline/kit';

export const STATUSES = ['PENDING', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'] as const;
export type Status = (typeof STATUSES)[number];
export const PHASES = ['INITIALIZING', 'READING', 'TRANSFORMING', 'VALIDATING', 'WRITING'] as const;
export type Phase = (typeof PHASES)[number];

/**
 * The only place that says which status may follow which. RUNNING -> QUEUED is the redo of a run whose
 * worker died (the sweeper re-queues it once its lease expired) or that failed transiently (it waits out
 * its backoff QUEUED). PENDING -> QUEUED is a run waiting for a free slot of its tenant. QUEUED ->
 * TIMED_OUT is a run whose deadline passed while it waited for its redo.
 */
const NEXT: Record<Status, readonly Status[]> = {
  PENDING: ['QUEUED', 'RUNNING', 'CANCELLED'],
  QUEUED: ['RUNNING', 'CANCELLED', 'TIMED_OUT'],
  RUNNING: ['RUNNING', 'QUEUED', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'],
  SUCCEEDED: [],
  FAILED: [],
  CANCELLED: [],
  TIMED_OUT: [],
};

export const isTerminal = (status: Status): boolean => NEXT[status].length === 0;
export const canMove = (from: Status, to: Status): boolean => NEXT[from].includes(to);

/** The statuses a run may be in for `to` to be legal: used as the WHERE of conditional updates. */
export const sourcesOf = (to: Status): Status[] => STATUSES.filter((from) => canMove(from, to));

export function assertMove(from: Status, to: Status): void {
  if (!canMove(from, to)) throw new AppError('CONFLICT', `An execution cannot go from ${from} to ${to}`);
}
