export { createFilesService, SERVICE, SCHEMA } from './service.js';
export { filesEnv, type FilesEnv, type FilesConfig } from './env.js';
export { entities } from './store/entities.js';
export { migrations } from './store/migrations/index.js';
export { buildFilesSchema } from './schema/index.js';
export type { SheetInfo, ColumnInfo, FileStatus, FileKind } from './domain/types.js';
