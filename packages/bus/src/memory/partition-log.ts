import type { BusMessage } from '../types.js';

/** What a log needs from a consumer group's cursor over it. */
export type LogReader = { readonly committed: number; wake(): void };

/** Drop consumed messages in chunks: splicing an array on every commit would cost more than it saves. */
const TRIM_CHUNK = 1_024;

/**
 * One partition of an in-process topic: an append-only array addressed by offset. Messages are kept until
 * every group reading the partition has committed past them; a partition no group reads keeps the newest
 * `retention` messages, as a broker's retention would.
 */
export class PartitionLog {
  private messages: BusMessage[] = [];
  private base = 0;
  private readonly readers = new Set<LogReader>();

  constructor(private readonly retention: number) {}

  get start(): number {
    return this.base;
  }

  get end(): number {
    return this.base + this.messages.length;
  }

  at(offset: number): BusMessage | undefined {
    return offset >= this.base ? this.messages[offset - this.base] : undefined;
  }

  append(msg: Omit<BusMessage, 'offset'>): void {
    this.messages.push({ ...msg, offset: String(this.end) });
    if (this.readers.size === 0 && this.messages.length > this.retention + TRIM_CHUNK) {
      this.dropBefore(this.end - this.retention);
    }
    for (const reader of this.readers) reader.wake();
  }

  attach(reader: LogReader): void {
    this.readers.add(reader);
  }

  detach(reader: LogReader): void {
    this.readers.delete(reader);
  }

  /** Called after commits; frees what every reader has consumed. */
  trim(): void {
    let min = this.end;
    for (const reader of this.readers) min = Math.min(min, reader.committed);
    if (min - this.base >= TRIM_CHUNK) this.dropBefore(min);
  }

  private dropBefore(offset: number): void {
    this.messages.splice(0, offset - this.base);
    this.base = offset;
  }
}
