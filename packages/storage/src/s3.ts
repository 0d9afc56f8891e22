import type { S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createMeter } from './meter.js';
import { assertKey, StorageError, type Storage, type StoredObject } from './storage.js';

const MiB = 1024 * 1024;

// The AWS SDK is loaded on first use, not with this package: a process on local storage (the embedded
// default, most tests) would otherwise carry about 10 MB of SDK modules in its heap for nothing.
let sdk: Promise<[typeof import('@aws-sdk/client-s3'), typeof import('@aws-sdk/lib-storage')]> | undefined;
const loadSdk = () => (sdk ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]));

export type S3StorageOptions = {
  bucket: string;
  /** An S3-compatible server's URL (MinIO, S3Proxy, Ceph...); unset means AWS S3 itself. */
  endpoint?: string;
  region: string;
  /** Unset means the SDK's default credential chain (instance role, AWS_* variables, profile). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Path-style URLs (`endpoint/bucket/key`); most self-hosted servers need them. Defaults to true with an endpoint. */
  forcePathStyle?: boolean;
  /** Prepended to every key, so that several deployments can share a bucket. */
  prefix?: string;
  /** Multipart part size (S3's minimum is 5 MiB). Memory held by one put is about partSize × queueSize. */
  partSize?: number;
  queueSize?: number;
};

export type S3Storage = Storage & { close(): void };

/**
 * S3-compatible object storage. A put streams through a multipart upload (parts of `partSize`, at most
 * `queueSize` in flight), so memory stays bounded whatever the object's size; S3 makes the object visible
 * only once the upload completes, and a failed or over-cap upload is aborted, leaving nothing behind.
 */
export function createS3Storage(opts: S3StorageOptions): S3Storage {
  let client: S3Client | undefined;
  let closed = false;
  /** The SDK and this storage's client, made on first use. */
  const connect = async () => {
    const [s3, lib] = await loadSdk();
    if (closed) throw new Error('The S3 storage is closed');
    client ??= new s3.S3Client({
      region: opts.region,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      forcePathStyle: opts.forcePathStyle ?? Boolean(opts.endpoint),
      // The SDK's default CRC trailers (aws-chunked bodies) are not understood by many S3-compatible servers;
      // integrity is ours anyway: every put computes its SHA-256.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return { s3, lib, client };
  };
  const prefix = opts.prefix ? `${opts.prefix.replace(/\/+$/, '')}/` : '';
  const keyOf = (key: string) => { assertKey(key); return `${prefix}${key}`; };
  const Bucket = opts.bucket;

  return {
    async put(key, body, putOpts = {}): Promise<StoredObject> {
      const Key = keyOf(key);
      const { lib, client } = await connect();
      const meter = createMeter(putOpts.maxBytes);
      const upload = new lib.Upload({
        client,
        params: { Bucket, Key, Body: meter.stream, ...(putOpts.contentType ? { ContentType: putOpts.contentType } : {}) },
        partSize: Math.max(opts.partSize ?? 8 * MiB, 5 * MiB),
        queueSize: opts.queueSize ?? 2,
        leavePartsOnError: false,
      });
      // The upload consumes the meter: a failing source or the cap fails the pipeline and with it the upload;
      // a failing upload stops reading, so it must fail the pipeline too, or that would wait forever.
      const uploaded = upload.done();
      uploaded.catch((err: Error) => meter.stream.destroy(err));
      const [fed, done] = await Promise.allSettled([pipeline(body, meter.stream), uploaded]);
      if (fed.status === 'rejected' || done.status === 'rejected') {
        await upload.abort().catch(() => undefined);
        throw fed.status === 'rejected' ? fed.reason : (done as PromiseRejectedResult).reason;
      }
      return { key, size: meter.size(), sha256: meter.sha256() };
    },
    async get(key): Promise<Readable> {
      const { s3, client } = await connect();
      try {
        const res = await client.send(new s3.GetObjectCommand({ Bucket, Key: keyOf(key) }));
        if (!(res.Body instanceof Readable)) throw new Error(`S3 returned no stream for ${key}`);
        return res.Body;
      } catch (err) {
        if (isNotFound(s3, err)) throw new StorageError('NOT_FOUND', `No object at ${key}`);
        throw err;
      }
    },
    async stat(key) {
      const { s3, client } = await connect();
      try {
        const res = await client.send(new s3.HeadObjectCommand({ Bucket, Key: keyOf(key) }));
        return { size: res.ContentLength ?? 0 };
      } catch (err) {
        if (isNotFound(s3, err)) return null;
        throw err;
      }
    },
    async delete(key) {
      const { s3, client } = await connect();
      await client.send(new s3.DeleteObjectCommand({ Bucket, Key: keyOf(key) }));
    },
    close() {
      closed = true;
      client?.destroy();
    },
  };
}

/**
 * The object is not there. A missing bucket answers 404 too, but it is the deployment's mistake, not a file gone:
 * callers treat NOT_FOUND as final (a run fails at once with FILE_NOT_FOUND), so it stays an error of its own.
 * (A HEAD answers without a body, so `stat` cannot tell the two apart; `get`, which runs read, can.)
 */
function isNotFound(s3: typeof import('@aws-sdk/client-s3'), err: unknown): boolean {
  return err instanceof s3.S3ServiceException && err.name !== 'NoSuchBucket'
    && (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404);
}
