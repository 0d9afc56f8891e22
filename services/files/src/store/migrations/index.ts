import { Migration20261122100001 } from './Migration20261122100001.js';
import { Migration20261130070001 } from './Migration20261130070001.js';
import { Migration20261201090001 } from './Migration20261201090001.js';
import { Migration20261201140001 } from './Migration20261201140001.js';

/** Committed migrations, in order. New ones are appended; applied ones are never edited. */
export const migrations = [Migration20261122100001, Migration20261130070001, Migration20261201090001, Migration20261201140001];
