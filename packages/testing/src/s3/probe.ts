import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';

export type S3Access = { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };

/** An S3 client for a test server: path-style addressing, since local servers have no per-bucket host names. */
export function testS3Client(s3: S3Access): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    maxAttempts: 2,
    // The SDK's default CRC trailers (aws-chunked uploads) are newer than many S3-compatible servers, S3Proxy included.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Proves the endpoint answers signed S3 requests with these keys. */
export async function probeS3(s3: S3Access): Promise<void> {
  const client = testS3Client(s3);
  try {
    await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(5_000) });
  } finally {
    client.destroy();
  }
}
