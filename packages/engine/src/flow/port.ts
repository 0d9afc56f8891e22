import type { Row } from '../values.js';

/**
 * The push protocol between nodes: a header (the column names), rows, then the end. Every call is
 * synchronous; a producer calls begin exactly once before any row and end exactly once.
 */
export interface RowSink {
  begin(columns: string[]): void;
  row(r: Row): void;
  end(): void;
}

/** Where a stream of rows starts: an input sheet (read in a pass of its own) or a blocking step's output. */
export interface Origin {
  readonly label: string;
  /** Lower runs first; a lookup lowers its build side's origin so the probe side need not wait in memory. */
  priority: number;
}

/**
 * One version of one sheet: the rows a producer will push, fanned out to every consumer attached to it.
 * Consumers must not change the arrays they receive (several may share one row).
 */
export class Port implements RowSink {
  private sinks: RowSink[] = [];
  columns: string[] | null = null;
  ended = false;

  constructor(
    readonly sheet: string,
    readonly origin: Origin | null,
  ) {}

  get consumers(): number {
    return this.sinks.length;
  }

  attach(sink: RowSink): void {
    if (this.columns !== null) throw new Error(`internal: attaching to sheet ${this.sheet} after it started`);
    this.sinks.push(sink);
  }

  begin(columns: string[]): void {
    this.columns = columns;
    for (const s of this.sinks) s.begin(columns);
  }

  row(r: Row): void {
    const s = this.sinks;
    if (s.length === 1) s[0]!.row(r);
    else for (let i = 0; i < s.length; i++) s[i]!.row(r);
  }

  end(): void {
    this.ended = true;
    for (const s of this.sinks) s.end();
  }
}
