import { randomBytes } from 'node:crypto';

/** A name no other test, file or run will pick: for topics, groups, tenants, buckets. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
