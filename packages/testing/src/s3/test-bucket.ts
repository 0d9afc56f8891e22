import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3Server, type S3Server } from '../client.js';
import { testS3Client } from './probe.js';
import { uniqueName } from '../unique-name.js';

export type TestBucket = S3Server & { bucket: string; drop(): Promise<void> };

/**
 * A new, empty bucket of its own on the run's S3 server. `drop()` empties and deletes it; a forgotten one
 * goes when the server stops (the local server's data lives in a temporary folder).
 */
export async function createTestBucket(prefix = 'test'): Promise<TestBucket> {
  const server = await s3Server();
  // Bucket names: 3 to 63 lowercase letters, digits and hyphens.
  const bucket = uniqueName(prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-')).slice(0, 63).replace(/-+$/, '');
  const client = testS3Client(server);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return {
    ...server,
    bucket,
    async drop() {
      const admin = testS3Client(server);
      try {
        for (;;) {
          const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket }));
          const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
          if (keys.length === 0) break;
          // One by one: DeleteObjects needs a checksum header that S3Proxy does not implement.
          for (const Key of keys) await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
        }
        await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
      } finally {
        admin.destroy();
      }
    },
  };
}
