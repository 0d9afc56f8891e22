import type { Logger } from 'pino';
import type { BusMessage, Handler } from '../types.js';
import type { Member } from './member.js';
import type { LogReader, PartitionLog } from './partition-log.js';

export type CursorDeps = {
  deliver(msg: BusMessage, handler: Handler): Promise<void>;
  ownerOf(topic: string, partition: number): Member | undefined;
  logger: Logger;
  retryDelayMs: number;
};

/**
 * A group's position in one partition, and the loop that feeds the partition to whichever member owns it.
 * One loop per partition is what keeps per-key order: the next message is handed out only after the
 * previous one is done, even when ownership moves between members.
 */
export class PartitionCursor implements LogReader {
  private wakeUp: (() => void) | undefined;
  private closed = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly log: PartitionLog,
    /** The next offset to deliver: everything before it is done. */
    public committed: number,
    private readonly deps: CursorDeps,
  ) {}

  wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  /** A group that was empty for a while may find its position trimmed away; it resumes at the oldest kept. */
  resume(): void {
    this.committed = Math.max(this.committed, this.log.start);
    this.wake();
  }

  async run(): Promise<void> {
    while (!this.closed) {
      const msg = this.log.at(this.committed);
      const owner = msg && this.deps.ownerOf(this.topic, this.partition);
      if (!msg || !owner) {
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        continue;
      }
      // A member that is stopping refuses the slot; the group has already handed its partitions on.
      if (!(await owner.acquire())) continue;
      try {
        await this.deps.deliver(msg, owner.handler);
        // The commit: only now, after the handler (or the dead-letter copy) is done, does the group move on.
        this.committed++;
        if (this.committed % 1_024 === 0) this.log.trim();
      } catch (err) {
        this.deps.logger.error({ err, topic: this.topic, partition: this.partition }, 'dead-letter publish failed, redelivering');
        await new Promise((resolve) => setTimeout(resolve, this.deps.retryDelayMs));
      } finally {
        owner.release();
      }
    }
  }
}
