import { CSV_LIMITS, type CsvLimits } from './csv.js';
import type { SandboxLimits } from './sandbox.js';
import type { ZipLimits } from './zip.js';

const MiB = 1024 * 1024;

export type XlsxLimits = ZipLimits & {
  /** Parts read whole (workbook, relationships, styles). */
  maxPartBytes: number;
  maxSheets: number;
  /** Rows after the header whose cells decide the column types. */
  sampleRows: number;
  /** How much of each sheet's XML is kept for the header and the sample. */
  maxSampleBytes: number;
  maxColumns: number;
  /** How far into the shared strings inspection reads to name the header cells. */
  maxSharedStringsBytes: number;
  maxSharedStringChars: number;
  /** Wall-clock budget for counting rows; past it, counts are reported as unknown. */
  timeBudgetMs: number;
};

export type InspectLimits = { csv: CsvLimits; xlsx: XlsxLimits; sandbox: SandboxLimits };

/**
 * Bounds on what one inspection may cost. A 200 MiB workbook of real data inflates to a few GiB at most;
 * anything beyond these limits is refused or left uncounted rather than allowed to hold the service.
 */
export const INSPECT_LIMITS: InspectLimits = {
  csv: CSV_LIMITS,
  xlsx: {
    maxEntries: 10_000,
    maxTotalUncompressed: 4 * 1024 * MiB,
    maxRatio: 100,
    ratioFloorBytes: MiB,
    maxPartBytes: 16 * MiB,
    maxSheets: 1_000,
    sampleRows: 100,
    maxSampleBytes: MiB,
    maxColumns: 16_384,
    maxSharedStringsBytes: 64 * MiB,
    maxSharedStringChars: MiB,
    timeBudgetMs: 20_000,
  },
  // Inspection streams, so real workbooks need far less than this; the row-count budget ends well before the timeout.
  sandbox: { maxMemoryMb: 256, timeoutMs: 60_000, concurrency: 2 },
};
