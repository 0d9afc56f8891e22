import { randomUUID } from 'node:crypto';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_FIELDS, TENANT_A, TENANT_B, startFiles, upload, type As, type Files } from './support/harness.js';
import { salesWorkbook } from './support/fixtures.js';

// Expiry is tested by moving the service's clock and sweeping, never by waiting.
const A = { tenant: TENANT_A };
const B = { tenant: TENANT_B };
const HOUR = 3600_000;
const DAY = 24 * HOUR;
let clock = Date.now();
let files: Files;
beforeAll(async () => { files = await startFiles({ now: () => new Date(clock) }); });
afterAll(async () => { await files?.stop(); });

const fileById = async (id: string, as: As = A) => (await files.gql(`query($id: ID!) { file(id: $id) { ${FILE_FIELDS} } }`, { id }, as)).data?.file;
const QUOTA = `{ fileQuota { storedBytes maxStoredBytes maxUploadBytes inputTtlHours artifactTtlDays } }`;
const SET_RETENTION = `mutation($input: SetFileRetentionInput!) { setFileRetention(input: $input) { inputTtlHours artifactTtlDays } }`;

describe('incomplete writes in storage', () => {
  it('are swept once they lay untouched an hour, at most once an hour', async () => {
    // What a process killed mid-write leaves: the local storage's hidden temporary name.
    const dir = join(files.storageDir, TENANT_A, 'artifacts', '0193a000-0000-7000-8000-0000000000f1');
    await mkdir(dir, { recursive: true });
    const leftover = async (age: number) => {
      const path = join(dir, `.out.csv.${randomUUID()}.partial`);
      await writeFile(path, 'half');
      const at = new Date(Date.now() - age);
      await utimes(path, at, at);
      return path;
    };
    await leftover(2 * HOUR);
    const recent = await leftover(0);
    expect(await files.sweeper.sweepIncomplete()).toBe(1);
    expect(await readdir(dir)).toEqual([basename(recent)]);
    await leftover(2 * HOUR);
    expect(await files.sweeper.sweepIncomplete()).toBe(0);
    clock += HOUR;
    expect(await files.sweeper.sweepIncomplete()).toBe(1);
  });
});

describe('retention', () => {
  it('expires an uploaded file 24 hours after it became READY: bytes deleted, row EXPIRED, no link', async () => {
    const put = await upload(files, A, 'sales.xlsx', await salesWorkbook());
    expect(put.body.file.status).toBe('READY');
    const before = (await files.gql(QUOTA, {}, A)).data.fileQuota;
    expect(before).toMatchObject({ inputTtlHours: 24, artifactTtlDays: 30 });
    expect(before.storedBytes).toBeGreaterThanOrEqual(put.body.file.size);

    clock += 23 * HOUR;
    await files.sweeper.sweepOnce();
    expect((await fileById(put.id)).status).toBe('READY');

    clock += 2 * HOUR;
    expect(await files.sweeper.sweepOnce()).toBeGreaterThanOrEqual(1);
    expect(await fileById(put.id)).toMatchObject({ status: 'EXPIRED', downloadUrl: null });
    expect(await files.storedFiles()).not.toContain(`${TENANT_A}/files/${put.id}`);
    expect((await files.internal('GET', `/internal/files/${put.id}`, A)).body.status).toBe('EXPIRED');
    expect((await files.gql(QUOTA, {}, A)).data.fileQuota.storedBytes).toBe(before.storedBytes - put.body.file.size);
  });

  it('expires an artifact 30 days after it was written', async () => {
    const key = `${TENANT_A}/executions/e1/out.csv`;
    await files.storage.put(key, Readable.from(['a\n1\n']));
    const service = { tenant: TENANT_A, kind: 'service' as const };
    const registered = await files.internal('POST', '/internal/artifacts', service, {
      executionId: '0193a000-0000-7000-8000-0000000000e1', name: 'out.csv', storageKey: key, size: 4, sha256: 'a'.repeat(64), contentType: 'text/csv',
    });
    expect(registered.status).toBe(200);
    clock += 29 * DAY;
    await files.sweeper.sweepOnce();
    expect((await fileById(registered.body.id)).status).toBe('READY');
    clock += 2 * DAY;
    await files.sweeper.sweepOnce();
    expect((await fileById(registered.body.id)).status).toBe('EXPIRED');
    expect(await files.storage.stat(key)).toBeNull();
  });

  it('expires an upload whose link closed before any bytes came', async () => {
    const created = await files.gql(`mutation { createUpload(input: {name: "never.csv", size: 10}) { file { id } } }`, {}, A);
    const id = created.data.createUpload.file.id as string;
    clock += 20 * 60_000;
    await files.sweeper.sweepOnce();
    expect((await fileById(id)).status).toBe('EXPIRED');
  });

  it('lets a tenant admin shorten its own retention, without touching another tenant', async () => {
    const admin = { tenant: TENANT_A, role: 'ADMIN' as const };
    const set = await files.gql(SET_RETENTION, { input: { inputTtlHours: 2, artifactTtlDays: 7 } }, admin);
    expect(set.data?.setFileRetention).toEqual({ inputTtlHours: 2, artifactTtlDays: 7 });
    const mine = await upload(files, A, 'short.csv', Buffer.from('a\n1\n'));
    const theirs = await upload(files, B, 'long.csv', Buffer.from('a\n1\n'));
    clock += 3 * HOUR;
    await files.sweeper.sweepOnce();
    expect((await fileById(mine.id)).status).toBe('EXPIRED');
    expect((await fileById(theirs.id, B)).status).toBe('READY');
    expect((await files.gql(QUOTA, {}, B)).data.fileQuota.inputTtlHours).toBe(24);
  });

  it('expires an artifact after its tenant\'s own artifact retention, and another tenant\'s after the default', async () => {
    const admin = { tenant: TENANT_A, role: 'ADMIN' as const };
    expect((await files.gql(SET_RETENTION, { input: { inputTtlHours: 24, artifactTtlDays: 7 } }, admin)).errors).toBeUndefined();
    const register = async (tenant: string) => {
      const key = `${tenant}/executions/e7/out.csv`;
      await files.storage.put(key, Readable.from(['a\n1\n']));
      const res = await files.internal('POST', '/internal/artifacts', { tenant, kind: 'service' as const }, {
        executionId: '0193a000-0000-7000-8000-0000000000e7', name: 'out.csv', storageKey: key, size: 4, sha256: 'a'.repeat(64), contentType: 'text/csv',
      });
      expect(res.status).toBe(200);
      return res.body.id as string;
    };
    const mine = await register(TENANT_A);
    const theirs = await register(TENANT_B);
    clock += 8 * DAY;
    await files.sweeper.sweepOnce();
    expect((await fileById(mine)).status).toBe('EXPIRED');
    expect((await fileById(theirs, B)).status).toBe('READY');
  });

  it('needs files:admin, and refuses retention out of bounds with BAD_USER_INPUT', async () => {
    const member = await files.gql(SET_RETENTION, { input: { inputTtlHours: 2, artifactTtlDays: 7 } }, A);
    expect(member.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    const bad = await files.gql(SET_RETENTION, { input: { inputTtlHours: 0, artifactTtlDays: 7 } }, { tenant: TENANT_A, role: 'ADMIN' });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'inputTtlHours' });
  });
});

describe('quotas', () => {
  let small: Files;
  beforeAll(async () => { small = await startFiles({ env: { QUOTA_STORED_BYTES: 100, QUOTA_UPLOAD_BYTES: 60 } }); });
  afterAll(async () => { await small?.stop(); });

  const create = (size: number, as: As = A) =>
    small.gql(`mutation($size: SafeInt!) { createUpload(input: {name: "q.csv", size: $size}) { file { id } uploadUrl } }`, { size }, as);

  it('refuses at createUpload a file over the largest upload or past the stored-bytes quota, with QUOTA_EXCEEDED', async () => {
    expect((await create(61)).errors?.[0]?.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'maxUploadBytes', limit: 60 });
    const first = await create(50);
    expect(first.data?.createUpload.file.id).toBeTruthy();
    expect((await create(50)).data?.createUpload.file.id).toBeTruthy();
    expect((await create(1)).errors?.[0]?.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'maxStoredBytes', limit: 100, used: 100 });
    // Another tenant's use is its own.
    expect((await create(50, B)).data?.createUpload.file.id).toBeTruthy();
    // Deleting a file frees its room.
    await small.gql(`mutation($id: ID!) { deleteFile(id: $id) }`, { id: first.data.createUpload.file.id }, A);
    expect((await create(1)).data?.createUpload.file.id).toBeTruthy();
    expect((await small.gql(QUOTA, {}, A)).data.fileQuota).toMatchObject({ storedBytes: 51, maxStoredBytes: 100, maxUploadBytes: 60 });
  });

  it('refuses the bytes with QUOTA_EXCEEDED when the quota was lowered after createUpload, and keeps the link usable', async () => {
    const tenant = '0193a000-0000-7000-8000-0000000000cc';
    const created = await create(40, { tenant });
    const service = { tenant, kind: 'service' as const };
    const lowered = await small.internal('PUT', '/internal/file-quota', service, { maxStoredBytes: 30, maxUploadBytes: null });
    expect(lowered.status).toBe(200);
    const res = await fetch(small.local(created.data.createUpload.uploadUrl), { method: 'PUT', body: Buffer.alloc(40, 0x61) });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('QUOTA_EXCEEDED');
    await small.internal('PUT', '/internal/file-quota', service, { maxStoredBytes: null, maxUploadBytes: null });
    const again = await fetch(small.local(created.data.createUpload.uploadUrl), { method: 'PUT', body: Buffer.from('a\n'.repeat(20)) });
    expect(again.status).toBe(200);
  });

  it('lets only services set quotas', async () => {
    const asUser = await small.internal('PUT', '/internal/file-quota', A, { maxStoredBytes: 1, maxUploadBytes: 1 });
    expect(asUser.status).toBe(403);
    expect(asUser.body.error.code).toBe('FORBIDDEN');
  });
});
