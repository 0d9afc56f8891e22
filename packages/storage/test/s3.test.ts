import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Storage, createStorageFromEnv, storageEnv, type S3Storage } from '@rowline/storage';
import { createTestBucket, testS3Client, type TestBucket } from '@rowline/testing';
import { generatedStream, storageContract } from './contract.js';

const MiB = 1024 * 1024;

const s3Storage = (b: TestBucket, prefix?: string): S3Storage =>
  createS3Storage({
    bucket: b.bucket, endpoint: b.endpoint, region: b.region,
    credentials: { accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey },
    partSize: 5 * MiB, ...(prefix ? { prefix } : {}),
  });

// 40 MiB in 5 MiB parts: eight parts of a real multipart upload.
storageContract('S3 (real S3-compatible server)', async () => {
  const bucket = await createTestBucket('storage');
  const storage = s3Storage(bucket);
  return { storage, cleanup: async () => { storage.close(); await bucket.drop(); } };
}, { largeBytes: 40 * MiB });

describe('S3 storage', () => {
  let bucket: TestBucket;
  beforeAll(async () => { bucket = await createTestBucket('storage'); });
  afterAll(() => bucket.drop());

  it('connects on first use, and refuses any use once closed', async () => {
    const storage = s3Storage(bucket);
    await storage.put('t1/lazy.txt', Readable.from([Buffer.from('hello')]));
    expect(await text(await storage.get('t1/lazy.txt'))).toBe('hello');
    storage.close();
    await expect(storage.stat('t1/lazy.txt')).rejects.toThrow(/closed/);
    // A storage closed before its first use never made a client.
    const unused = s3Storage(bucket);
    unused.close();
    await expect(unused.get('t1/lazy.txt')).rejects.toThrow(/closed/);
  });

  it('leaves no unfinished multipart upload behind a refused or failed large object', async () => {
    const storage = s3Storage(bucket);
    const over = generatedStream(20 * MiB);
    await expect(storage.put('t1/over', over.stream, { maxBytes: 12 * MiB })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    const client = testS3Client(bucket);
    const pending = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket.bucket }));
    expect(pending.Uploads ?? []).toEqual([]);
    expect(await storage.stat('t1/over')).toBeNull();
    client.destroy();
    storage.close();
  }, 60_000);

  it('answers a missing object NOT_FOUND, and a missing bucket (a deployment\'s mistake) with an error of its own', async () => {
    const storage = s3Storage(bucket);
    await expect(storage.get('t1/never-written')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const misnamed = s3Storage({ ...bucket, bucket: `${bucket.bucket}-missing` });
    const refused = await misnamed.get('t1/never-written').then(() => null, (err: unknown) => err);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as { code?: string }).code).not.toBe('NOT_FOUND');
    expect((refused as Error).name).toBe('NoSuchBucket');
    storage.close();
    misnamed.close();
  });

  it('keeps every key under its prefix, and another prefix does not see it', async () => {
    const a = s3Storage(bucket, 'deploy-a');
    const b = s3Storage(bucket, 'deploy-b');
    await a.put('t1/x.csv', Readable.from(['a']));
    expect(await b.stat('t1/x.csv')).toBeNull();
    const client = testS3Client(bucket);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: 'deploy-a/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['deploy-a/t1/x.csv']);
    client.destroy();
    a.close();
    b.close();
  });

  it('is chosen and configured by STORAGE_DRIVER=s3 and the S3_* variables', async () => {
    const env = storageEnv.parse({
      STORAGE_DRIVER: 's3', S3_BUCKET: bucket.bucket, S3_ENDPOINT: bucket.endpoint, S3_REGION: bucket.region,
      S3_ACCESS_KEY_ID: bucket.accessKeyId, S3_SECRET_ACCESS_KEY: bucket.secretAccessKey,
    });
    const configured = createStorageFromEnv(env);
    await configured.storage.put('t1/env.txt', Readable.from(['from env']));
    expect(await text(await configured.storage.get('t1/env.txt'))).toBe('from env');
    configured.close();
  });

  it('refuses an s3 configuration without a bucket or with half a key pair', () => {
    expect(() => createStorageFromEnv(storageEnv.parse({ STORAGE_DRIVER: 's3' }))).toThrow('STORAGE_DRIVER=s3 needs S3_BUCKET');
    expect(() => createStorageFromEnv(storageEnv.parse({ STORAGE_DRIVER: 's3', S3_BUCKET: 'bkt', S3_ACCESS_KEY_ID: 'k' })))
      .toThrow(/go together/);
    expect(storageEnv.parse({}).STORAGE_DRIVER).toBe('local');
  });
});
