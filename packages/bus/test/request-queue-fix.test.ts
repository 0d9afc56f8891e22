import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { fixRequestQueue } from '../src/kafka/request-queue-fix.js';

const require = createRequire(import.meta.url);
type Queue = { throttleCheckTimeoutId: NodeJS.Timeout | null; throttledUntil: number; pending: unknown[]; checkPendingRequests(): void; scheduleCheckPendingRequests(): void };
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: Queue };

/** A queue with kafkajs's scheduling method, without a socket: only the fields that method reads. */
function queue(pending: unknown[], throttledUntil = -1): Queue & { checks: number } {
  const q = Object.create(RequestQueue.prototype) as Queue & { checks: number };
  Object.assign(q, { throttleCheckTimeoutId: null, throttledUntil, pending, checks: 0 });
  q.checkPendingRequests = () => { q.checks++; q.scheduleCheckPendingRequests(); };
  return q;
}

describe('the kafkajs request-queue fix', () => {
  it('arms no timer for an empty queue (kafkajs re-arms one every millisecond forever)', async () => {
    fixRequestQueue();
    const q = queue([]);
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(q.checks).toBe(0);
  });

  it('still checks a queue with requests waiting: when the throttle ends, or soon when it already ended', async () => {
    fixRequestQueue();
    const waiting = queue(['request']);
    waiting.scheduleCheckPendingRequests();
    expect(waiting.throttleCheckTimeoutId).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(waiting.checks).toBeGreaterThan(0);
    clearTimeout(waiting.throttleCheckTimeoutId!);

    const throttled = queue(['request'], Date.now() + 60_000);
    throttled.scheduleCheckPendingRequests();
    expect(throttled.throttleCheckTimeoutId).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(throttled.checks).toBe(0);
    clearTimeout(throttled.throttleCheckTimeoutId!);
  });
});
