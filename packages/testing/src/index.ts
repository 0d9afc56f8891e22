export { postgresServer, kafkaServer, type PostgresServer, type KafkaServer } from './client.js';
export { s3Server, type S3Server } from './client.js';
export { createTestBucket, type TestBucket } from './s3/test-bucket.js';
export { testS3Client } from './s3/probe.js';
export { createTestDatabase, type TestDatabase } from './test-database.js';
export { uniqueName } from './unique-name.js';
export { startKafkaCluster } from './kafka/local-jvm.js';
export { ServerUnavailableError } from './servers/started.js';
export type { ProvidedServers } from './provided.js';
export { indexesOf, type IndexState } from './indexes.js';
export {
  describeListIndexMigration, describeListPlans, withClient,
  type ListIndexMigration, type ListIndexMigrationDatabase, type ListPlans, type MigratedService,
} from './list-indexes.js';
