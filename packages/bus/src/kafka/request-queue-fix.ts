import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 (its last release) reschedules a request-queue check on every broker connection in an endless
 * loop: after each response it arms a timer with `throttledUntil - Date.now()`, which is negative when
 * nothing is throttled, so it fires within a millisecond, checks an empty queue and arms itself again. Each
 * connection so wakes the process about a thousand times a second for nothing (Node 24 warns once with
 * TimeoutNegativeWarning). Measured here: an idle process with a producer and an admin client used 184 ms
 * of CPU in 5 s, 24 ms with this fix. Upstream: tulios/kafkajs issues 1556, 1704 and 1751, unmerged fixes.
 *
 * The fix keeps kafkajs's rule for a queue with requests waiting (check when the throttle ends, or in
 * 10 ms when it already ended, so a marginal throttle never strands a request) and arms no timer for an
 * empty queue: `push` arms one whenever it queues a request.
 */
type RequestQueue = {
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  throttledUntil: number;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
};

const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;
let applied = false;

export function fixRequestQueue(): void {
  if (applied) return;
  applied = true;
  const require = createRequire(import.meta.url);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueue };
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueue) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS);
  };
}
