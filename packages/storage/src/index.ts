export * from './storage.js';
export * from './local.js';
export * from './s3.js';
export * from './config.js';
export * from './stream-errors.js';
