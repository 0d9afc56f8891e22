import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Storage, type S3Storage } from '@rowline/storage';
import { createTestBucket, type TestBucket } from '@rowline/testing';
import { FILE_FIELDS, TENANT_A, TENANT_B, startFiles, upload, type Files } from './support/harness.js';
import { PDF, salesWorkbook } from './support/fixtures.js';

// The files service on the S3 driver against a real S3-compatible server: the same uploads, inspection
// and downloads as on a local directory, with the bytes in a bucket.
const A = { tenant: TENANT_A };
const MiB = 1024 * 1024;
let bucket: TestBucket;
let storage: S3Storage;
let files: Files;

beforeAll(async () => {
  bucket = await createTestBucket('files');
  storage = createS3Storage({
    bucket: bucket.bucket, endpoint: bucket.endpoint, region: bucket.region,
    credentials: { accessKeyId: bucket.accessKeyId, secretAccessKey: bucket.secretAccessKey }, partSize: 5 * MiB,
  });
  files = await startFiles({ storage, maxUploadBytes: 64 * MiB });
});
afterAll(async () => {
  await files?.stop();
  storage?.close();
  await bucket?.drop();
});

const fileById = async (id: string) => (await files.gql(`query($id: ID!) { file(id: $id) { ${FILE_FIELDS} } }`, { id }, A)).data?.file;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('the files service on S3 storage', () => {
  it('stores an upload in the bucket, inspects it from there and downloads the same bytes', async () => {
    const xlsx = await salesWorkbook();
    const put = await upload(files, A, 'sales.xlsx', xlsx);
    expect(put.body.file).toEqual({ id: put.id, status: 'READY', size: xlsx.length, sha256: sha(xlsx) });
    expect(await storage.stat(`${TENANT_A}/files/${put.id}`)).toEqual({ size: xlsx.length });
    const file = await fileById(put.id);
    expect(file.sheets.length).toBeGreaterThan(0);
    const res = await fetch(files.local(file.downloadUrl));
    expect(Buffer.from(await res.arrayBuffer()).equals(xlsx)).toBe(true);
    const other = await files.gql(`query($id: ID!) { file(id: $id) { id } }`, { id: put.id }, { tenant: TENANT_B });
    expect(other.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
  });

  it('takes a csv larger than several multipart parts and keeps its hash', async () => {
    const rows = Array.from({ length: 600_000 }, (_, i) => `${i},region-${i % 7},${(i * 1.5).toFixed(2)}\n`);
    const csv = Buffer.from(`id,region,amount\n${rows.join('')}`);
    expect(csv.length).toBeGreaterThan(12 * MiB);
    const put = await upload(files, A, 'big.csv', csv);
    expect(put.body.file).toEqual({ id: put.id, status: 'READY', size: csv.length, sha256: sha(csv) });
    expect((await fileById(put.id)).sheets[0].rowCount).toBe(600_000);
  }, 120_000);

  it('deletes the object of a rejected file and of a deleted file', async () => {
    const rejected = await upload(files, A, 'report.xlsx', PDF);
    expect(rejected.status).toBe(415);
    expect(await storage.stat(`${TENANT_A}/files/${rejected.id}`)).toBeNull();

    const kept = await upload(files, A, 'gone.csv', Buffer.from('a\n1\n'));
    expect(await storage.stat(`${TENANT_A}/files/${kept.id}`)).toEqual({ size: 4 });
    const deleted = await files.gql(`mutation($id: ID!) { deleteFile(id: $id) }`, { id: kept.id }, A);
    expect(deleted.data?.deleteFile).toBe(true);
    expect(await storage.stat(`${TENANT_A}/files/${kept.id}`)).toBeNull();
    expect(await files.healthy()).toBe(true);
  });
});
