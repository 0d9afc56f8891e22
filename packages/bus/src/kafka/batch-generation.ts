import { createRequire } from 'node:module';
import type { Batch } from 'kafkajs';

/**
 * Tells a batch fetched before the member last (re)joined its group from one of the member's current generation.
 *
 * kafkajs 2.2.4 runs one fetch loop per broker, concurrently. A fetch that finds its partition's leader gone
 * (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION: a broker restarting, a leader election, partitions
 * moved or added) makes the member rejoin its group from within that fetch (`recoverFromFetch`), while the
 * other brokers' fetches are still in flight or their batches wait for a worker. Those batches then reach
 * `eachBatch` after the rejoin, although their offsets were chosen in the previous generation: for a keyed
 * subscriber, after the last message it started then, past the messages still in flight, which the rejoin
 * dropped from its lanes. A new lane started from such a batch would commit past them. (With one broker there
 * is one fetch loop, and kafkajs rejoins only between its fetches.) kafkajs knows the batch's generation only
 * as the offset manager that chose its offsets, which each join replaces; this tags each batch with it.
 *
 * A fetch the member rejoined during answers nothing, whichever manager chose its offsets: nothing of it is
 * started or resolved, so the partitions are fetched again from where the new generation starts.
 */
type ConsumerGroup = { offsetManager: unknown; fetch(nodeId: number): Promise<Batch[]> };
type Tagged = { [FETCHED_IN]?: { group: ConsumerGroup; offsets: unknown } };

const FETCHED_IN = Symbol('rowline.fetchedIn');
let applied = false;

export function tagBatchGenerations(): void {
  if (applied) return;
  applied = true;
  const require = createRequire(import.meta.url);
  const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as { prototype: ConsumerGroup };
  const fetch = ConsumerGroup.prototype.fetch;
  ConsumerGroup.prototype.fetch = async function fetchInGeneration(this: ConsumerGroup, nodeId: number) {
    const offsets = this.offsetManager;
    const batches = await fetch.call(this, nodeId);
    if (this.offsetManager !== offsets) return [];
    for (const batch of batches) (batch as Tagged)[FETCHED_IN] = { group: this, offsets };
    return batches;
  };
}

/** False once the member that fetched `batch` has rejoined its group since (a batch kafkajs did not fetch passes). */
export function isCurrentBatch(batch: Batch): boolean {
  const fetched = (batch as Tagged)[FETCHED_IN];
  return !fetched || fetched.group.offsetManager === fetched.offsets;
}
