import { v7 } from 'uuid';

/** Time-ordered UUIDs (v7): unique across services and sortable, so keyset pagination can use them. */
export const newId = (): string => v7();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);

const MAX_ID_MS = 2 ** 48 - 1;

/**
 * The least id `newId` can make at the millisecond `time` (its 48 bits of milliseconds, every other bit 0),
 * clamped to what those bits can hold: a time range as a range of ids, which an index ending in `id` can seek.
 */
export function idFloorAt(time: Date | number): string {
  const ms = Math.floor(+time);
  if (Number.isNaN(ms)) throw new RangeError('idFloorAt: not a time');
  const hex = Math.min(Math.max(ms, 0), MAX_ID_MS).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

/** The millisecond an id of `newId` was made at (its first 48 bits), as `idFloorAt` reads a time. */
export function idTimeOf(id: string): number {
  if (!isUuid(id)) throw new RangeError('idTimeOf: not an id');
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
