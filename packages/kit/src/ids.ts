import { v7 } from 'uuid';

/** Time-ordered UUIDs (v7): unique across services and sortable, so keyset pagination can use them. */
export const newId = (): string => v7();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);
