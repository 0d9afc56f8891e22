export { postgresServer, kafkaServer, type PostgresServer, type KafkaServer } from './client.js';
export { createTestDatabase, type TestDatabase } from './test-database.js';
export { uniqueName } from './unique-name.js';
export { ServerUnavailableError } from './servers/started.js';
export type { ProvidedServers } from './provided.js';
