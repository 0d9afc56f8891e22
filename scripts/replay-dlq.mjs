#!/usr/bin/env node
// Replays what a dead-letter topic holds now into its topic (packages/bus/src/replay.ts), after the cause is fixed:
//   KAFKA_BROKERS=kafka:9092 [KAFKA_TOPIC_PREFIX=...] node scripts/replay-dlq.mjs executions.requested
// IDLE_MS (default 10 s) is a safety net only: see docs/operations.md.
// In a cluster: kubectl -n rowline run dlq-replay --rm -it --restart=Never --image=rowline/executions:<tag> \
//   --env KAFKA_BROKERS=kafka:9092 --command -- node /app/scripts/replay-dlq.mjs executions.requested
import { createKafkaBus, replayDeadLetters } from '@rowline/bus';

const topic = process.argv[2];
if (!topic || topic.endsWith('.dlq')) {
  console.error('usage: node scripts/replay-dlq.mjs <topic>   (the topic, not its .dlq)');
  process.exit(2);
}
if (!process.env.KAFKA_BROKERS) {
  console.error('KAFKA_BROKERS is required');
  process.exit(2);
}
const bus = createKafkaBus({ brokers: process.env.KAFKA_BROKERS.split(','), clientId: 'dlq-replay', topicPrefix: process.env.KAFKA_TOPIC_PREFIX ?? '' });
try {
  const { replayed, remaining } = await replayDeadLetters(bus, { topic, idleMs: Number(process.env.IDLE_MS ?? 10_000) });
  console.log(`replayed ${replayed} message(s) from ${topic}.dlq to ${topic}${remaining ? `; ${remaining} left for the next replay (it stopped after IDLE_MS without a message)` : ''}`);
} finally {
  await bus.close();
}
