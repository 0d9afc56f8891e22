import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import type { LookupFunction } from 'node:net';
import { HeadBucketCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { Resolve } from './connect-guard.js';
import { TransportError } from './errors.js';
import type { OpenDestination, Transport } from './types.js';

/**
 * S3 or an S3-compatible server (a tenant's `endpoint`). Every connection the SDK opens resolves its host
 * through the SSRF guard and connects to the checked address, so neither the endpoint nor a virtual-hosted
 * bucket name can lead inside the network. A PUT is atomic in S3: the object appears only once complete.
 */
export function createS3Transport(deps: { resolve: Resolve; timeoutMs: number; extraCa?: string }): Transport {
  const lookup: LookupFunction = (hostname, opts, cb) => {
    deps.resolve(hostname).then(
      (t) => ((opts as { all?: boolean }).all
        ? (cb as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: t.address, family: t.family }])
        : cb(null, t.address, t.family)),
      (err: Error) => cb(err as NodeJS.ErrnoException, '', 4),
    );
  };
  const ca = deps.extraCa ? [...rootCertificates, deps.extraCa] : undefined;

  function client(destination: OpenDestination): S3Client {
    const { config, secrets } = destination;
    const endpoint = config.endpoint ? String(config.endpoint) : undefined;
    return new S3Client({
      region: String(config.region),
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      credentials: { accessKeyId: String(config.accessKeyId), secretAccessKey: String(secrets.secretAccessKey) },
      // Our retry schedule owns retries; every failure is recorded on the attempt, so the SDK's own console
      // warnings (it prints one for each failed streaming PUT) would only duplicate it outside the logs.
      maxAttempts: 1,
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        httpAgent: new http.Agent({ lookup }), httpsAgent: new https.Agent({ lookup, ca }),
        connectionTimeout: deps.timeoutMs, requestTimeout: deps.timeoutMs,
      },
    });
  }

  function failure(err: unknown, what: string): TransportError {
    if (err instanceof TransportError) return err;
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof TransportError) return cause;
    if (err instanceof S3ServiceException) {
      const status = err.$metadata.httpStatusCode ?? 0;
      if (err.name === 'InvalidAccessKeyId' || err.name === 'SignatureDoesNotMatch' || status === 403) return new TransportError('AUTH', `${what}: ${err.name} (${status})`);
      if (err.name === 'NoSuchBucket' || status === 404) return new TransportError('REMOTE', `${what}: the bucket does not exist`);
      return new TransportError('REMOTE', `${what}: ${err.name} (${status})`);
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ECONNREFUSED') return new TransportError('CONNECT', `${what}: connection refused`);
    if (e.name === 'TimeoutError' || /timeout/i.test(e.message)) return new TransportError('TIMEOUT', `${what}: no answer within ${deps.timeoutMs} ms`);
    if (/CERT|SSL|TLS|self.signed|altnames/i.test(`${e.code} ${e.message}`)) return new TransportError('TLS', `${what}: ${e.message}`);
    return new TransportError('CONNECT', `${what}: ${e.message}`);
  }

  const keyOf = (prefix: unknown, fileName: string) => {
    const p = String(prefix ?? '').replace(/^\/+|\/+$/g, '');
    return p ? `${p}/${fileName}` : fileName;
  };

  return {
    async send(destination, shipment) {
      const s3 = client(destination);
      const Key = keyOf(destination.config.prefix, shipment.fileName);
      try {
        await s3.send(new PutObjectCommand({
          Bucket: String(destination.config.bucket), Key, Body: await shipment.open(), ContentLength: shipment.artifact.size,
          ContentType: shipment.artifact.contentType, Metadata: { sha256: shipment.artifact.sha256, 'idempotency-key': shipment.idempotencyKey },
        }));
      } catch (err) {
        throw failure(err, `s3://${destination.config.bucket}/${Key}`);
      } finally {
        s3.destroy();
      }
    },
    async probe(destination) {
      const s3 = client(destination);
      try {
        await s3.send(new HeadBucketCommand({ Bucket: String(destination.config.bucket) }));
      } catch (err) {
        throw failure(err, `s3://${destination.config.bucket}`);
      } finally {
        s3.destroy();
      }
    },
  };
}
