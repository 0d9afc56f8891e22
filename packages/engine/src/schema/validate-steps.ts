import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { StepIssue } from '../errors.js';
import type { StepModule } from '../flow/step-api.js';

/**
 * Checks a workflow's steps: their shape against each type's JSON Schema (Ajv), then what a schema cannot say
 * (expressions parse, patterns compile), and for a version being saved the rules a saved one is not held to
 * (artifact names differ across steps; see StepModule.checkOnSave). Every problem is reported, each at a
 * precise path such as `steps[1].params.where.all[0].op`.
 */
export class StepValidator {
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly modules: ReadonlyMap<string, StepModule>) {
    // Ajv compiles our own schemas to functions once, at start; user data is only ever validated, never compiled.
    // verbose: an error carries the schema it failed (parentSchema), whose description may say why (toIssues).
    const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
    for (const m of modules.values()) this.compiled.set(m.type, ajv.compile(m.paramsSchema));
  }

  validate(steps: unknown, opts: { saving: boolean }): StepIssue[] {
    if (!Array.isArray(steps)) return [{ path: 'steps', code: 'INVALID_TYPE', message: 'steps must be a list' }];
    if (steps.length > 200) return [{ path: 'steps', code: 'TOO_MANY', message: 'a workflow has at most 200 steps' }];
    const issues: StepIssue[] = [];
    const valid = new Map<string, Array<{ index: number; params: never }>>();
    steps.forEach((step: unknown, i) => {
      const at = `steps[${i}]`;
      if (typeof step !== 'object' || step === null || Array.isArray(step)) {
        issues.push({ path: at, code: 'INVALID_TYPE', message: 'a step must be an object {type, params}' });
        return;
      }
      const { type, params, ...rest } = step as Record<string, unknown>;
      for (const k of Object.keys(rest)) issues.push({ path: `${at}.${k}`, code: 'UNKNOWN_PROPERTY', message: `unknown property ${k}` });
      if (typeof type !== 'string' || !this.modules.has(type)) {
        issues.push({ path: `${at}.type`, code: 'UNKNOWN_STEP_TYPE', message: `unknown step type ${JSON.stringify(type)}; known: ${[...this.modules.keys()].join(', ')}` });
        return;
      }
      const p = params === undefined ? {} : params;
      const fn = this.compiled.get(type)!;
      if (!fn(p)) {
        issues.push(...toIssues(fn.errors ?? [], `${at}.params`));
        return;
      }
      const check = this.modules.get(type)!.check;
      if (check) for (const issue of check(p as never)) issues.push({ ...issue, path: `${at}.params.${issue.path}` });
      const same = valid.get(type) ?? [];
      same.push({ index: i, params: p as never });
      valid.set(type, same);
    });
    if (!opts.saving) return issues;
    for (const [type, same] of valid) {
      for (const { step, ...issue } of this.modules.get(type)!.checkOnSave?.(same) ?? []) {
        issues.push({ ...issue, path: `steps[${step}].params.${issue.path}` });
      }
    }
    return issues;
  }
}

const CODES: Record<string, string> = {
  required: 'REQUIRED',
  additionalProperties: 'UNKNOWN_PROPERTY',
  type: 'INVALID_TYPE',
  enum: 'INVALID_VALUE',
  const: 'INVALID_VALUE',
};

const RULE_KEYWORDS = new Set(['required', 'const', 'not']);

function toIssues(errors: ErrorObject[], base: string): StepIssue[] {
  const out = new Map<string, StepIssue>();
  for (const e of errors) {
    // "must match then/else schema" only echoes the errors reported inside the branch.
    if (e.keyword === 'if' || e.keyword === 'anyOf' && errors.length > 1) continue;
    let path = base + pointerToPath(e.instancePath);
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      path += `.${missing}`;
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      path += `.${extra}`;
      message = 'is not a known property';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(shown).join(', ')}`;
    } else if (e.keyword === 'const') {
      message = `must be ${shown((e.params as { allowedValue: unknown }).allowedValue)}`;
    }
    // A rule between params (if this, then that) says in its description what Ajv cannot ("must NOT be valid").
    const rule = e.parentSchema as { description?: unknown } | undefined;
    if (RULE_KEYWORDS.has(e.keyword) && e.schemaPath.includes('/then/') && typeof rule?.description === 'string') message = rule.description;
    const key = `${path}|${message}`;
    if (!out.has(key)) out.set(key, { path, code: CODES[e.keyword] ?? 'INVALID_VALUE', message });
  }
  return [...out.values()];
}

/**
 * A value as JSON, with the spaces one cannot tell from " " escaped: clean's thousandsSeparator allows " ",
 * U+00A0 and U+202F, which JSON.stringify leaves as they are (`must be one of ",", " ", " ", " "`).
 */
function shown(v: unknown): string {
  return JSON.stringify(v).replace(/[\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** "/where/all/0/op" -> ".where.all[0].op" (JSON Pointer escapes ~1 and ~0 undone). */
function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : /^[A-Za-z_$][\w$]*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`))
    .join('');
}
