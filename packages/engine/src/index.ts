export { ruleTypes, validateSteps, type RuleType } from './catalog.js';
export { EngineError, fromLocalDisk, type EngineErrorCode, type StepIssue } from './errors.js';
export { previewWorkflow, type PreviewOptions, type PreviewSheet, type PreviewStep } from './preview.js';
export { fileKeys, inputSheets, runWorkflow, type RunLimits, type RunOptions, type RunResult, type StepResult, type StepSpec, type StepStatus } from './run.js';
export { MAX_FILE_NAME_LENGTH, fileNameLength, type ArtifactFormat, type ArtifactResult, type OpenArtifact } from './io/artifact.js';
export { XLSX_IN_MEMORY_BYTES, csvSheetHint, type InputFile } from './io/open-input.js';
export { DEFAULT_MAX_BYTES_IN_MEMORY, MemoryPool } from './flow/budget.js';
export type { Phase, ProgressFn } from './flow/control.js';
export type { StepModule, StepContext } from './flow/step-api.js';
export type { Value, Row } from './values.js';
// What the files service's inspection shares with the readers, so that it names and types columns as a run does.
export { columnNames } from './io/raw-rows.js';
export { inferCsvValue } from './io/csv-workbook.js';
export { parseDateStyles } from './io/xlsx-meta.js';
export { isoCellDate, styledDate } from './io/xlsx-sheet-scanner.js';
