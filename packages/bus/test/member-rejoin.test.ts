import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { rejoinAsSameMember } from '../src/kafka/member-rejoin.js';

const require = createRequire(import.meta.url);
type Group = { memberId: string | null; joinAndSync(): Promise<void> };
const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as new (opts: object) => Group;
const { MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol.js') as { MemberAssignment: { encode(a: object): Buffer } };
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode(code: number): Error };
const UNKNOWN_MEMBER_ID = 25;

/** A coordinator that knows the members it gave an id to, until it forgets them (a session that expired). */
function coordinator() {
  const known = new Set<string>();
  const joins: string[] = [];
  let next = 1;
  return {
    joins,
    known,
    async joinGroup({ memberId }: { memberId: string }) {
      joins.push(memberId);
      if (memberId && !known.has(memberId)) throw createErrorFromCode(UNKNOWN_MEMBER_ID);
      const id = memberId || `m-${next++}`;
      known.add(id);
      return { generationId: next, leaderId: 'another', memberId: id, members: [], groupProtocol: 'rr' };
    },
    async syncGroup() {
      return { memberAssignment: MemberAssignment.encode({ version: 0, assignment: { t: [0] } }) };
    },
  };
}

/** A ConsumerGroup as kafkajs's consumer makes one at each (re)start: the consumer's emitter, a fresh group. */
function group(coord: ReturnType<typeof coordinator>, instrumentationEmitter: EventEmitter): Group {
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  return new ConsumerGroup({
    retry: { retries: 3, initialRetryTime: 1 },
    cluster: { findGroupCoordinator: async () => coord, findTopicPartitionMetadata: () => [{ partitionId: 0 }], committedOffsets: () => ({}) },
    groupId: 'g',
    topics: ['t'],
    topicConfigurations: { t: {} },
    logger: { namespace: () => log },
    instrumentationEmitter,
    assigners: [{ name: 'rr', protocol: () => ({ name: 'rr', metadata: Buffer.alloc(0) }) }],
    sessionTimeout: 30_000,
    rebalanceTimeout: 60_000,
  });
}

describe('the member rejoin patch', () => {
  it('a restarted consumer joins as the member it was; after the coordinator forgot it, as a new member at once', async () => {
    rejoinAsSameMember();
    const coord = coordinator();
    const emitter = new EventEmitter();

    await group(coord, emitter).joinAndSync();
    // kafkajs restarts the crashed consumer: a new ConsumerGroup, which joins with the former id.
    const restarted = group(coord, emitter);
    await restarted.joinAndSync();
    expect(coord.joins).toEqual(['', 'm-1']);
    expect(restarted.memberId).toBe('m-1');

    // The member's session expired: a heartbeat answers UNKNOWN_MEMBER_ID, and kafkajs's runner forgets the id
    // (runner.js: `this.consumerGroup.memberId = null`) and joins again. That join must not send the id again.
    coord.known.clear();
    restarted.memberId = null;
    await restarted.joinAndSync();
    expect(coord.joins).toEqual(['', 'm-1', '']);
    expect(restarted.memberId).toBe('m-2');

    // The next restart takes the new id.
    await group(coord, emitter).joinAndSync();
    expect(coord.joins).toEqual(['', 'm-1', '', 'm-2']);
  });

  it('a consumer of its own does not take another consumer\'s id', async () => {
    rejoinAsSameMember();
    const coord = coordinator();
    await group(coord, new EventEmitter()).joinAndSync();
    await group(coord, new EventEmitter()).joinAndSync();
    expect(coord.joins).toEqual(['', '']);
  });
});
