import { Migration20261122000001 } from './Migration20261122000001.js';
import { Migration20261201140001 } from './Migration20261201140001.js';

/** Committed migrations, in order. New ones are appended; applied ones are never edited. */
export const migrations = [Migration20261122000001, Migration20261201140001];
