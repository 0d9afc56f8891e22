import type { StepSpec } from './workflows.js';

export type StepChangeKind = 'ADDED' | 'REMOVED' | 'CHANGED';

export type StepChange = {
  kind: StepChangeKind;
  /** Where the change shows: the step's index in `to`, or in `from` for a removed step. */
  index: number;
  fromIndex: number | null;
  toIndex: number | null;
  type: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** The params paths that differ (`where.all[1].value`); empty for added and removed steps. */
  paths: string[];
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const join = (base: string, key: string) => (base ? `${base}.${key}` : key);

/** Paths at which two JSON values differ, depth first, object keys in sorted order. */
export function changedPaths(before: unknown, after: unknown, base = ''): string[] {
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: string[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const path = `${base}[${i}]`;
      if (i >= before.length || i >= after.length) out.push(path);
      else out.push(...changedPaths(before[i], after[i], path));
    }
    return out;
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    const out: string[] = [];
    for (const key of keys) {
      const path = join(base, key);
      if (!(key in before) || !(key in after)) out.push(path);
      else out.push(...changedPaths(before[key], after[key], path));
    }
    return out;
  }
  return Object.is(before, after) ? [] : [base];
}

/**
 * Step-level differences between two lists of steps, aligned by position: a step at the same index with
 * the same type is CHANGED when its params differ; a different type at the same index is the old step
 * REMOVED and the new one ADDED; steps past the shorter list are ADDED or REMOVED. Deterministic: changes
 * come in index order, a removal before an addition at the same index.
 */
export function diffSteps(from: StepSpec[], to: StepSpec[]): StepChange[] {
  const changes: StepChange[] = [];
  for (let i = 0; i < Math.max(from.length, to.length); i++) {
    const a = from[i];
    const b = to[i];
    if (a && b && a.type === b.type) {
      const paths = changedPaths(a.params ?? {}, b.params ?? {});
      if (paths.length) changes.push({ kind: 'CHANGED', index: i, fromIndex: i, toIndex: i, type: b.type, before: a.params, after: b.params, paths });
      continue;
    }
    if (a) changes.push({ kind: 'REMOVED', index: i, fromIndex: i, toIndex: null, type: a.type, before: a.params, after: null, paths: [] });
    if (b) changes.push({ kind: 'ADDED', index: i, fromIndex: null, toIndex: i, type: b.type, before: null, after: b.params, paths: [] });
  }
  return changes;
}
