import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TENANT_A, TENANT_B, startFiles, upload, type Files } from './support/harness.js';

const A = { tenant: TENANT_A };
const B = { tenant: TENANT_B };
const WORKER_A = { tenant: TENANT_A, kind: 'service' as const, role: 'OWNER' as const };
const EXECUTION = '0193a000-0000-7000-8000-0000000000e1';
let files: Files;
beforeAll(async () => { files = await startFiles(); });
afterAll(async () => { await files?.stop(); });
afterEach(async () => { expect(await files.healthy()).toBe(true); });

/** What an engine worker does: write the bytes under a deterministic key, through the same storage. */
async function writeArtifact(key: string, text: string) {
  const path = join(files.storageDir, key);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  return { size: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
}

describe('GET /internal/files/:id', () => {
  it('answers the file to its own tenant, and 404 NOT_FOUND to any other or for a malformed id', async () => {
    const { id } = await upload(files, A, 'in.csv', Buffer.from('a\n1\n'));
    const mine = await files.internal('GET', `/internal/files/${id}`, A);
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ id, name: 'in.csv', status: 'READY', contentType: 'text/csv', size: 4, storageKey: `${TENANT_A}/files/${id}`, sheetNames: ['in'] });
    expect(mine.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    const theirs = await files.internal('GET', `/internal/files/${id}`, B);
    expect(theirs).toEqual({ status: 404, body: { error: { code: 'NOT_FOUND', message: `File ${id} was not found` } } });
    expect((await files.internal('GET', '/internal/files/..%2F..%2Fetc', A)).status).toBe(404);
  });

  it('answers a download link unless asked to leave it out with link=false', async () => {
    const { id } = await upload(files, A, 'linked.csv', Buffer.from('a\n1\n'));
    const linked = await files.internal('GET', `/internal/files/${id}`, A);
    expect(linked.body.downloadUrl).toMatch(/^https:\/\/files\.example\.test\/files\/download\//);
    const bare = await files.internal('GET', `/internal/files/${id}?link=false`, A);
    expect(bare.status).toBe(200);
    expect(bare.body).toEqual({ ...linked.body, downloadUrl: undefined });
    expect(bare.body).not.toHaveProperty('downloadUrl');
    expect((await files.internal('GET', `/internal/files/${id}?link=false`, B)).status).toBe(404);
  });

  it('answers 401 without an internal token', async () => {
    const res = await files.internal('GET', '/internal/files/0193a000-0000-7000-8000-000000000001', null);
    expect(res).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
  });
});

describe('POST /internal/artifacts', () => {
  it('registers an artifact as a READY file with a download link, and a redo replaces it under the same id', async () => {
    const key = `${TENANT_A}/executions/${EXECUTION}/report.xlsx`;
    const first = await writeArtifact(key, 'first run');
    const input = { executionId: EXECUTION, name: 'report.xlsx', storageKey: key, contentType: 'text/plain', ...first };
    const created = await files.internal('POST', '/internal/artifacts', WORKER_A, input);
    expect(created.status).toBe(200);
    expect(created.body.downloadUrl).toMatch(/^https:\/\/files\.example\.test\/files\/download\//);

    const second = await writeArtifact(key, 'the redone run, longer');
    const redone = await files.internal('POST', '/internal/artifacts', WORKER_A, { ...input, ...second });
    expect(redone.body.id).toBe(created.body.id);

    const listed = await files.gql(`{ files(kind: ARTIFACT) { totalCount edges { node { id kind status size sha256 name } } } }`, {}, A);
    expect(listed.data.files.edges).toEqual([{ node: { id: created.body.id, kind: 'ARTIFACT', status: 'READY', name: 'report.xlsx', ...second } }]);
    expect(listed.data.files.totalCount).toBe(1);
    const download = await fetch(files.local(redone.body.downloadUrl));
    expect(await download.text()).toBe('the redone run, longer');

    // What workers send: the same registration without the link they never use.
    const bare = await files.internal('POST', '/internal/artifacts?link=false', WORKER_A, { ...input, ...second });
    expect(bare).toEqual({ status: 200, body: { id: created.body.id } });
  });

  it('refuses keys of another tenant or of uploads, missing objects, wrong sizes and malformed bodies', async () => {
    const key = `${TENANT_A}/executions/${EXECUTION}/out.csv`;
    const stored = await writeArtifact(key, 'a\n1\n');
    const good = { executionId: EXECUTION, name: 'out.csv', storageKey: key, contentType: 'text/csv', ...stored };
    const cases = [
      { ...good, storageKey: `${TENANT_B}/executions/${EXECUTION}/out.csv` },
      { ...good, storageKey: `${TENANT_A}/files/0193a000-0000-7000-8000-000000000001` },
      { ...good, storageKey: `${TENANT_A}/../${TENANT_B}/x` },
      { ...good, storageKey: `${TENANT_A}/executions/none.csv` },
      { ...good, size: stored.size + 1 },
      { ...good, sha256: 'zz' },
      { ...good, executionId: 'nope' },
      { ...good, name: `${'n'.repeat(252)}.csv` },
    ];
    for (const body of cases) {
      const res = await files.internal('POST', '/internal/artifacts', WORKER_A, body);
      expect(res, JSON.stringify(body)).toMatchObject({ status: 400, body: { error: { code: 'BAD_USER_INPUT' } } });
    }
    const bad = await fetch(`${files.base}/internal/artifacts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(bad.status).toBe(400);
  });

  it('measures an artifact name as the engine does, NFC-normalised: 255 characters so, however many it was sent with', async () => {
    // "é" sent decomposed (e and U+0301): 506 code units as sent, 255 characters once normalised, which the engine let through.
    const name = `${'e\u0301'.repeat(251)}.csv`;
    const key = `${TENANT_A}/executions/${EXECUTION}/decomposed.csv`;
    const stored = await writeArtifact(key, 'a\n1\n');
    const res = await files.internal('POST', '/internal/artifacts', WORKER_A, { executionId: EXECUTION, name, storageKey: key, contentType: 'text/csv', ...stored });
    expect(res.status).toBe(200);
    const file = await files.internal('GET', `/internal/files/${res.body.id}?link=false`, A);
    expect(file.body.name).toBe(name.normalize('NFC'));
    expect(file.body.name).toHaveLength(255);
  });

  it('accepts only services: a user token is FORBIDDEN', async () => {
    const key = `${TENANT_A}/executions/${EXECUTION}/user.csv`;
    const stored = await writeArtifact(key, 'a\n');
    const res = await files.internal('POST', '/internal/artifacts', A, { executionId: EXECUTION, name: 'user.csv', storageKey: key, contentType: 'text/csv', ...stored });
    expect(res).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
  });
});
