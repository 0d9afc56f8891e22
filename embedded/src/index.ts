export { startPlatform, type Platform, type PlatformOptions } from './platform.js';
export { startEmbeddedPostgres } from './postgres.js';
export { seedDemo, DEMO } from './seed.js';
export { graphqlClient, type GraphQLClient } from './client.js';
export { demoWorkbook, demoSalesRows, DEMO_STEPS, type SalesRow } from './demo-workbook.js';
