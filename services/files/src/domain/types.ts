/** DELETED: a tombstone. deleteFile removed the bytes and the file from `file`/`files`; runs still name it. */
export const FILE_STATUSES = ['UPLOADING', 'READY', 'REJECTED', 'EXPIRED', 'DELETED'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

/** INPUT: uploaded by a person; ARTIFACT: written by the engine for a run. */
export const FILE_KINDS = ['INPUT', 'ARTIFACT'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** MIXED: sampled cells of more than one type; EMPTY: no non-empty cell in the sample. */
export const COLUMN_TYPES = ['TEXT', 'NUMBER', 'DATE', 'BOOLEAN', 'MIXED', 'EMPTY'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export type ColumnInfo = { name: string; type: ColumnType };

/**
 * What inspection learned about one sheet. `rowCount` counts the rows below the header row; it is null
 * when counting would have cost more than inspection allows.
 */
export type SheetInfo = { name: string; rowCount: number | null; columns: ColumnInfo[] };

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const CSV_CONTENT_TYPE = 'text/csv';
