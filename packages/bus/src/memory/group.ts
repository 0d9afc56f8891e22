import type { Member } from './member.js';
import { PartitionCursor, type CursorDeps } from './partition-cursor.js';
import type { PartitionLog } from './partition-log.js';

type GroupDeps = Omit<CursorDeps, 'ownerOf'> & { logsOf(topic: string): PartitionLog[] };

/**
 * A consumer group of the in-process bus: its members, which member owns which partition, and one cursor
 * per partition it has ever read. Like Kafka's committed offsets, cursors outlive the members, so a member
 * that rejoins resumes where the group left off.
 */
export class MemoryGroup {
  private members: Member[] = [];
  private owners = new Map<string, Member[]>();
  private readonly cursors = new Map<string, PartitionCursor[]>();

  constructor(private readonly deps: GroupDeps) {}

  join(member: Member, fromBeginning: boolean): void {
    const wasEmpty = this.members.length === 0;
    this.members.push(member);
    this.assign();
    for (const topic of member.topics) {
      if (!this.cursors.has(topic)) this.cursors.set(topic, this.openCursors(topic, fromBeginning));
    }
    for (const [topic, cursors] of this.cursors) {
      cursors.forEach((cursor, partition) => {
        if (wasEmpty) this.deps.logsOf(topic)[partition]?.attach(cursor);
        cursor.resume();
      });
    }
  }

  /** Takes the member out of the assignment at once, so that no cursor hands it another message. */
  leave(member: Member): void {
    this.members = this.members.filter((m) => m !== member);
    this.assign();
    for (const [topic, cursors] of this.cursors) {
      cursors.forEach((cursor, partition) => {
        // An empty group does not hold back the log's trimming.
        if (this.members.length === 0) this.deps.logsOf(topic)[partition]?.detach(cursor);
        cursor.wake();
      });
    }
  }

  /** The next offset the group reads in a partition; undefined if it never read the topic. */
  position(topic: string, partition: number): number | undefined {
    return this.cursors.get(topic)?.[partition]?.committed;
  }

  /** Moves the group's position in a partition of a topic it has read (the caller makes sure no member runs). */
  seek(topic: string, partition: number, offset: number): void {
    const cursor = this.cursors.get(topic)?.[partition];
    if (!cursor) throw new Error(`the group never read partition ${partition} of "${topic}"`);
    cursor.committed = offset;
  }

  close(): void {
    for (const cursors of this.cursors.values()) for (const cursor of cursors) cursor.close();
  }

  private ownerOf(topic: string, partition: number): Member | undefined {
    const candidates = this.owners.get(topic);
    return candidates && candidates.length > 0 ? candidates[partition % candidates.length] : undefined;
  }

  /** Partition p of a topic belongs to the (p mod n)-th of the n members reading that topic, in join order. */
  private assign(): void {
    this.owners = new Map();
    for (const member of this.members) {
      for (const topic of member.topics) this.owners.set(topic, [...(this.owners.get(topic) ?? []), member]);
    }
  }

  private openCursors(topic: string, fromBeginning: boolean): PartitionCursor[] {
    const deps: CursorDeps = { ...this.deps, ownerOf: (t, p) => this.ownerOf(t, p) };
    return this.deps.logsOf(topic).map((log, partition) => {
      const cursor = new PartitionCursor(topic, partition, log, fromBeginning ? log.start : log.end, deps);
      log.attach(cursor);
      void cursor.run();
      return cursor;
    });
  }
}
