import type { StepModule } from '../flow/step-api.js';
import { aggregate } from './aggregate.js';
import { clean } from './clean.js';
import { renameColumns, reorderColumns, selectColumns } from './columns.js';
import { computeColumn } from './compute-column.js';
import { dedupe } from './dedupe.js';
import { filter } from './filter.js';
import { headerRow } from './header-row.js';
import { lookup } from './lookup.js';
import { moveRows } from './move-rows.js';
import { output } from './output.js';
import { sort } from './sort.js';
import { split } from './split.js';
import { validate } from './validate.js';

/** The one place a step type is registered: a new type is a module plus a line here; the core is unchanged. */
export const STEP_MODULES: readonly StepModule<never>[] = [
  headerRow,
  filter,
  moveRows,
  aggregate,
  sort,
  selectColumns,
  renameColumns,
  reorderColumns,
  computeColumn,
  dedupe,
  lookup,
  split,
  clean,
  validate,
  output,
] as unknown as StepModule<never>[];

export const MODULES: ReadonlyMap<string, StepModule> = new Map(STEP_MODULES.map((m) => [m.type, m as unknown as StepModule]));
