import { createRequire } from 'node:module';

/**
 * Lets a kafkajs consumer that crashed and restarted rejoin its group as the member it was.
 *
 * kafkajs 2.2.4 restarts a crashed consumer (after a broker outage longer than its retries, say a broker
 * restart) with a new ConsumerGroup, whose first JoinGroup carries no member id. The coordinator then holds
 * the consumer's former self as a member until its session times out (30 s by default), and the rebalance
 * waits for it: every consumer group paused for a session timeout after each broker restart, its messages
 * with it (measured: 30 s for the fault tests' checker, 6 s for their workers, whose session is 6 s). The
 * Java client keeps its member id across such reconnects; this does the same. The coordinator recognises the
 * id and the rebalance goes on at once; an id it no longer knows (the session ended meanwhile) answers
 * UNKNOWN_MEMBER_ID, on which kafkajs forgets the id and joins anew, as before.
 *
 * The id is kept per consumer (its instrumentation emitter, which each restart's ConsumerGroup shares) from
 * each join, and forgotten once a leave succeeds: a consumer that left cleanly has no former self to wait for.
 * Only a ConsumerGroup's first join takes it: a later join without an id is kafkajs's runner rejoining after
 * UNKNOWN_MEMBER_ID (the coordinator forgot the member), which must join anew, not try the dead id first.
 */
type ConsumerGroup = { memberId: string | null; instrumentationEmitter: object; joinAndSync(): Promise<void>; leave(): Promise<void> };

const memberIds = new WeakMap<object, string>();
/** The ConsumerGroups that have begun a join: only a restart's fresh group takes its consumer's former id. */
const joining = new WeakSet<object>();
let applied = false;

export function rejoinAsSameMember(): void {
  if (applied) return;
  applied = true;
  const require = createRequire(import.meta.url);
  const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as { prototype: ConsumerGroup };
  const { joinAndSync, leave } = ConsumerGroup.prototype;
  ConsumerGroup.prototype.joinAndSync = async function joinAsBefore(this: ConsumerGroup) {
    if (!joining.has(this)) {
      joining.add(this);
      this.memberId ??= memberIds.get(this.instrumentationEmitter) ?? null;
    }
    try {
      await joinAndSync.call(this);
    } finally {
      if (this.memberId) memberIds.set(this.instrumentationEmitter, this.memberId);
      else memberIds.delete(this.instrumentationEmitter);
    }
  };
  ConsumerGroup.prototype.leave = async function leaveForGood(this: ConsumerGroup) {
    await leave.call(this);
    memberIds.delete(this.instrumentationEmitter);
  };
}
