import { createHash } from 'node:crypto';
import { posix } from 'node:path';

/** Whether an artifact name matches a route's glob (`*` any run of characters, `?` one), case-insensitively. */
export function matchesPattern(pattern: string, name: string): boolean {
  const source = pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\-]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'is').test(name);
}

/**
 * The delivered file name from a route's template (placeholders checked when the route was saved). Whatever
 * the artifact name holds, the result is one safe path segment: no slashes, no control characters, no dot-only names.
 */
export function renderFileName(template: string, facts: { name: string; executionId: string; workflowId: string; at: Date }): string {
  const ext = posix.extname(facts.name);
  const values: Record<string, string> = {
    name: facts.name, stem: ext ? facts.name.slice(0, -ext.length) : facts.name, ext: ext.replace(/^\./, ''),
    executionId: facts.executionId, workflowId: facts.workflowId, date: facts.at.toISOString().slice(0, 10),
  };
  const rendered = template.replace(/\{([A-Za-z]+)\}/g, (whole, key: string) => values[key] ?? whole)
    .replace(/[/\\\u0000-\u001f]/g, '_').slice(0, 255);
  return /^\.*$/.test(rendered) ? 'artifact' : rendered;
}

/**
 * One key per (run, route, artifact): the unique constraint on it makes a replayed event insert nothing,
 * and it is the webhook-id on every attempt and redelivery, so receivers can deduplicate.
 */
export function idempotencyKey(executionId: string, routeId: string, fileId: string): string {
  return `dlv_${createHash('sha256').update(`${executionId}:${routeId}:${fileId}`).digest('base64url').slice(0, 32)}`;
}
