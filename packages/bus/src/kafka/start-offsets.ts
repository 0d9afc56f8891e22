import type { Admin } from 'kafkajs';
import { retriable } from './retriable.js';

/** `topic:partition` -> the offset a partition without a committed offset starts at. */
export type StartOffsets = Map<string, string>;

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * For a group that starts at the end of the log: the end of the log now, for every partition the group has
 * no committed offset in. kafkajs would otherwise look the end up only at its first fetch after joining, so
 * a message published between `subscribe()` (or `ready`) and that fetch would be skipped.
 */
export async function latestForUncommitted(admin: Admin, groupId: string, topics: string[]): Promise<StartOffsets> {
  const starts: StartOffsets = new Map();
  const committed = await retriable(() => admin.fetchOffsets({ groupId, topics }));
  for (const { topic, partitions } of committed) {
    const uncommitted = new Set(partitions.filter((p) => p.offset === '-1').map((p) => p.partition));
    if (uncommitted.size === 0) continue;
    for (const { partition, high } of await retriable(() => admin.fetchTopicOffsets(topic))) {
      if (uncommitted.has(partition)) starts.set(partitionKey(topic, partition), high);
    }
  }
  return starts;
}
