/**
 * Named points of a run where a test can stop an engine worker process, to kill it exactly there:
 * - `before-claim`: the request was received, nothing done;
 * - `after-claim`: the run is RUNNING under this worker's lease, nothing produced yet (during);
 * - `after-effect`: artifacts are stored and registered, the outcome not yet recorded;
 * - `after-record`: the outcome is committed (events in the outbox), the offset not yet committed.
 */
export const FAULT_POINTS = ['before-claim', 'after-claim', 'after-effect', 'after-record'] as const;
export type FaultPointName = (typeof FAULT_POINTS)[number];
export type FaultPoint = (point: FaultPointName, executionId: string) => Promise<void>;

export const NO_FAULTS: FaultPoint = async () => {};

/**
 * The test-only hook behind `ROWLINE_FAULT_PAUSE_AT=<point>`: at that point the worker prints
 * `FAULT <point> <executionId>` on stdout and waits forever (or `pauseMs`, from `ROWLINE_FAULT_PAUSE_MS`),
 * so the test can SIGKILL or SIGSTOP it there. A SIGCONT ends the wait too: a test that stops the worker
 * there decides when it goes on, however slowly it saw the FAULT line. Unset (as in production) it is
 * `NO_FAULTS` and costs nothing. Only the first run to reach the point pauses.
 */
export function faultPointFromEnv(value: string | undefined, write: (line: string) => void, pauseMs?: number): FaultPoint {
  if (!value) return NO_FAULTS;
  if (!(FAULT_POINTS as readonly string[]).includes(value)) throw new Error(`ROWLINE_FAULT_PAUSE_AT must be one of ${FAULT_POINTS.join(', ')}`);
  let hit = false;
  return (point, executionId) => {
    if (point !== value || hit) return Promise.resolve();
    hit = true;
    write(`FAULT ${point} ${executionId}\n`);
    return new Promise<void>((resolve) => {
      const timer = pauseMs === undefined ? undefined : setTimeout(resolve, pauseMs);
      process.once('SIGCONT', () => { clearTimeout(timer); resolve(); });
    });
  };
}
