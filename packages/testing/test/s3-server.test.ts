import { GetObjectCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestBucket, s3Server, testS3Client } from '@rowline/testing';
import { startS3 } from '../src/s3/start-s3.js';

describe('s3Server', () => {
  it('hands out the same server to every caller of a run', async () => {
    const [a, b] = await Promise.all([s3Server(), s3Server()]);
    expect(a).toEqual(b);
    expect(a.endpoint).toMatch(/^http:\/\//);
  });

  it('stores and returns an object in a bucket of its own', async () => {
    const bucket = await createTestBucket('harness');
    const client = testS3Client(bucket);
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket.bucket, Key: 'a/b.txt', Body: 'hello bucket' }));
      const got = await client.send(new GetObjectCommand({ Bucket: bucket.bucket, Key: 'a/b.txt' }));
      expect(await got.Body?.transformToString()).toBe('hello bucket');
      await bucket.drop();
      await expect(client.send(new HeadBucketCommand({ Bucket: bucket.bucket }))).rejects.toThrow();
    } finally {
      client.destroy();
    }
  });

  it('refuses requests signed with the wrong secret', async () => {
    const bucket = await createTestBucket('harness');
    const client = testS3Client({ ...bucket, secretAccessKey: 'not-the-secret' });
    try {
      await expect(client.send(new PutObjectCommand({ Bucket: bucket.bucket, Key: 'x', Body: 'x' }))).rejects.toThrow();
    } finally {
      client.destroy();
      await bucket.drop();
    }
  });
});

describe('an S3 server that cannot be had', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('reports an unreachable S3_ENDPOINT instead of quietly starting another server', async () => {
    vi.stubEnv('S3_ENDPOINT', 'http://127.0.0.1:1');
    vi.stubEnv('S3_ACCESS_KEY_ID', 'k');
    vi.stubEnv('S3_SECRET_ACCESS_KEY', 's');
    const attempt = startS3({ log: () => undefined });
    await expect(attempt).rejects.toThrow(/Cannot use S3_ENDPOINT=http:\/\/127\.0\.0\.1:1/);
    await expect(attempt).rejects.toThrow(/Java 17\+ and Maven.*S3Proxy/s);
  });
});
