export * from './storage.js';
export * from './local.js';
