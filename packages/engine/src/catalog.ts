import { MODULES } from './steps/registry.js';
import { stepValidator } from './run.js';
import type { StepIssue } from './errors.js';

export interface RuleType {
  type: string;
  title: string;
  description: string;
  paramsSchema: object;
}

/** The step types and the JSON Schema of each one's params (what the workflows service serves as ruleTypes). */
export function ruleTypes(): RuleType[] {
  return [...MODULES.values()].map((m) => ({ type: m.type, title: m.title, description: m.description, paramsSchema: structuredClone(m.paramsSchema) }));
}

/**
 * Every problem of a workflow's steps as a version to save, each at a precise path; [] when they are valid.
 * A saved version runs under looser rules (see StepModule.checkOnSave).
 */
export function validateSteps(steps: unknown): StepIssue[] {
  return stepValidator().validate(steps, { saving: true });
}
