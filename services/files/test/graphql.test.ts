import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FILE_FIELDS, TENANT_A, TENANT_B, startFiles, upload, type Files, type HttpReply } from './support/harness.js';

const A = { tenant: TENANT_A };
const B = { tenant: TENANT_B };
const MAX = 1024 * 1024;
let files: Files;
beforeAll(async () => { files = await startFiles({ maxUploadBytes: MAX }); });
afterAll(async () => { await files?.stop(); });
afterEach(async () => { expect(await files.healthy()).toBe(true); });

const CREATE = `mutation($input: CreateUploadInput!) { createUpload(input: $input) { uploadUrl expiresAt file { id name status size kind contentType sha256 downloadUrl } } }`;
const FILE = `query($id: ID!) { file(id: $id) { ${FILE_FIELDS} } }`;
const codeOf = (r: { errors?: Array<{ extensions: Record<string, unknown> }> }) => r.errors?.[0]?.extensions.code;

describe('createUpload', () => {
  it('registers an UPLOADING file and answers a signed upload link that expires', async () => {
    const r = await files.gql(CREATE, { input: { name: 'Q1 Sales.xlsx', contentType: 'application/pdf', size: 1234 } }, A);
    const { file, uploadUrl, expiresAt } = r.data.createUpload;
    expect(file).toMatchObject({ name: 'Q1 Sales.xlsx', status: 'UPLOADING', size: 1234, kind: 'INPUT', contentType: null, sha256: null, downloadUrl: null });
    expect(uploadUrl).toMatch(/^https:\/\/files\.example\.test\/files\/upload\/[\w-]+\.[\w-]+\.[\w-]+$/);
    const ttl = new Date(expiresAt).getTime() - Date.now();
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
  });

  it.each([
    [{ name: 'report.pdf', size: 10 }, 'name'],
    [{ name: 'archive.xlsx.zip', size: 10 }, 'name'],
    [{ name: '.csv', size: 10 }, 'name'],
    [{ name: '   ', size: 10 }, 'name'],
    [{ name: 'ok.csv', size: 0 }, 'size'],
    [{ name: 'ok.csv', size: -5 }, 'size'],
    [{ name: 'ok.csv', size: MAX + 1 }, 'size'],
  ])('refuses %j with BAD_USER_INPUT naming the field', async (input, field) => {
    const r = await files.gql(CREATE, { input }, A);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('keeps unsafe characters of a name visible instead of acting on them', async () => {
    const r = await files.gql(CREATE, { input: { name: 'a"b\r\nX: y\u202e.xlsx', size: 5 } }, A);
    expect(r.data.createUpload.file.name).toBe('a"b__X: y_.xlsx');
  });

  it('needs files:write: a VIEWER is FORBIDDEN and an anonymous caller UNAUTHENTICATED', async () => {
    const input = { name: 'a.csv', size: 3 };
    expect(codeOf(await files.gql(CREATE, { input }, { tenant: TENANT_A, role: 'VIEWER' }))).toBe('FORBIDDEN');
    expect(codeOf(await files.gql(CREATE, { input }, null))).toBe('UNAUTHENTICATED');
    expect(codeOf(await files.gql(CREATE, { input }, { tenant: TENANT_A, scopes: ['files:read'] }))).toBe('FORBIDDEN');
  });
});

describe('files and file', () => {
  it('page newest first and filter by kind', async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3]) ids.push((await upload(files, { tenant: TENANT_A }, `page${n}.csv`, Buffer.from(`a\n${n}\n`))).id);
    const query = `query($first: Int, $after: String, $kind: FileKind) { files(first: $first, after: $after, kind: $kind) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`;
    const first = (await files.gql(query, { first: 2, kind: 'INPUT' }, A)).data.files;
    expect(first.edges.map((e: any) => e.node.id)).toEqual([ids[2], ids[1]]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await files.gql(query, { first: 2, after: first.pageInfo.endCursor }, A)).data.files;
    expect(second.edges[0].node.id).toBe(ids[0]);
    expect((await files.gql(query, { kind: 'ARTIFACT' }, A)).data.files.edges).toEqual([]);
    expect(codeOf(await files.gql(query, { first: 500 }, A))).toBe('BAD_USER_INPUT');
    expect(codeOf(await files.gql(query, { first: -1 }, A))).toBe('BAD_USER_INPUT');
  });

  it('count what the list shows: the tenant\'s files of the kind asked, on every page, deleted ones left out', async () => {
    const C = { tenant: randomUUID() };
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4]) ids.push((await upload(files, C, `count${n}.csv`, Buffer.from(`a\n${n}\n`))).id);
    expect((await files.gql(`mutation($id: ID!) { deleteFile(id: $id) }`, { id: ids[0] }, C)).data).toEqual({ deleteFile: true });
    await files.gql(CREATE, { input: { name: 'pending.csv', size: 10 } }, C);
    const query = `query($first: Int, $after: String, $kind: FileKind) { files(first: $first, after: $after, kind: $kind) {
      totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`;

    const first = (await files.gql(query, { first: 2, kind: 'INPUT' }, C)).data.files;
    const second = (await files.gql(query, { first: 2, kind: 'INPUT', after: first.pageInfo.endCursor }, C)).data.files;
    expect([first.totalCount, second.totalCount]).toEqual([4, 4]);
    expect([...first.edges, ...second.edges]).toHaveLength(4);
    expect((await files.gql(query, { first: 0 }, C)).data.files).toEqual({ totalCount: 4, edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
    expect((await files.gql(query, { first: 0, kind: 'ARTIFACT' }, C)).data.files).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    // Tenants A and B hold files of their own from the other tests; none of them is counted for C, nor C's for them.
    const a = (await files.gql(query, { first: 100 }, A)).data.files;
    expect(a.totalCount).toBe(a.edges.length);
  });

  it('filter by status and by a name search, counting what they list, each tenant its own', async () => {
    const C = { tenant: randomUUID() };
    const ready: string[] = [];
    for (const name of ['Sales 2026-10.csv', 'sales 2026-11.csv', 'Payroll.csv', '100%_done.csv', '100 done.csv']) ready.push((await upload(files, C, name, Buffer.from('a\n1\n'))).id);
    const pending = (await files.gql(CREATE, { input: { name: 'sales pending.csv', size: 10 } }, C)).data.createUpload.file.id;
    await upload(files, { tenant: randomUUID() }, 'their sales.csv', Buffer.from('a\n1\n'));
    const query = `query($status: FileStatus, $q: String, $first: Int, $after: String) { files(status: $status, nameContains: $q, first: $first, after: $after) {
      totalCount edges { node { name status } } pageInfo { hasNextPage endCursor } } }`;
    const list = async (vars: object) => (await files.gql(query, vars, C)).data.files;
    const names = (page: any) => page.edges.map((e: any) => e.node.name);

    expect(names(await list({ status: 'UPLOADING' }))).toEqual(['sales pending.csv']);
    expect((await list({ status: 'READY' })).totalCount).toBe(5);
    const sales = await list({ q: 'SALES' });
    expect(names(sales)).toEqual(['sales pending.csv', 'sales 2026-11.csv', 'Sales 2026-10.csv']);
    expect(sales.totalCount).toBe(3);
    expect(names(await list({ q: 'sales', status: 'READY' }))).toEqual(['sales 2026-11.csv', 'Sales 2026-10.csv']);
    const first = await list({ q: 'sales', first: 2 });
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(names(await list({ q: 'sales', first: 2, after: first.pageInfo.endCursor }))).toEqual(['Sales 2026-10.csv']);
    // % and _ are the name's own characters, not patterns.
    expect(names(await list({ q: '100%_' }))).toEqual(['100%_done.csv']);
    expect(pending).toBeTruthy();

    for (const [vars, argument] of [[{ q: '  ' }, 'nameContains'], [{ q: 'x'.repeat(201) }, 'nameContains'], [{ status: 'DELETED' }, 'status']] as const) {
      const r = await files.gql(query, vars, C);
      expect(r.errors?.[0]?.extensions, JSON.stringify(vars)).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    }
  });

  it('answers NOT_FOUND for a malformed id', async () => {
    for (const id of ['nope', "' or 1=1 --", '00000000-0000-0000-0000-000000000000']) {
      expect(codeOf(await files.gql(FILE, { id }, A))).toBe('NOT_FOUND');
    }
  });

  it('resolves File entities for the gateway, with files:read', async () => {
    const { id } = await upload(files, A, 'entity.csv', Buffer.from('a\n1\n'));
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on File { id name status } } }`;
    const r = await files.gql(query, { r: [{ __typename: 'File', id }] }, A);
    expect(r.data._entities).toEqual([{ id, name: 'entity.csv', status: 'READY' }]);
    expect(codeOf(await files.gql(query, { r: [{ __typename: 'File', id }] }, B))).toBe('NOT_FOUND');
    expect(codeOf(await files.gql(query, { r: [{ __typename: 'File', id }] }, null))).toBe('UNAUTHENTICATED');
  });
});

describe('tenant isolation', () => {
  it('hides tenant A\'s file from tenant B: no read, no list, no delete, no download link', async () => {
    const { id } = await upload(files, A, 'secret.csv', Buffer.from('salary\n100\n'));
    expect(codeOf(await files.gql(FILE, { id }, B))).toBe('NOT_FOUND');
    const listed = await files.gql(`{ files(first: 100) { edges { node { id } } } }`, {}, B);
    expect(listed.data.files.edges.map((e: any) => e.node.id)).not.toContain(id);
    expect(codeOf(await files.gql(`mutation($id: ID!) { deleteFile(id: $id) }`, { id }, B))).toBe('NOT_FOUND');
    const mine = await files.gql(FILE, { id }, A);
    expect(mine.data.file.status).toBe('READY');
    expect((await fetch(files.local(mine.data.file.downloadUrl))).status).toBe(200);
  });
});

describe('deleteFile', () => {
  it('removes the bytes and the file', async () => {
    const { id } = await upload(files, A, 'gone.csv', Buffer.from('a\n1\n'));
    const link = (await files.gql(FILE, { id }, A)).data.file.downloadUrl;
    expect(await files.storedFiles()).toContain(`${TENANT_A}/files/${id}`);
    expect((await files.gql(`mutation($id: ID!) { deleteFile(id: $id) }`, { id }, A)).data).toEqual({ deleteFile: true });
    expect(await files.storedFiles()).not.toContain(`${TENANT_A}/files/${id}`);
    expect(codeOf(await files.gql(FILE, { id }, A))).toBe('NOT_FOUND');
    const res = await fetch(files.local(link));
    expect(res.status).toBe(404);
    expect(((await res.json()) as HttpReply).error.code).toBe('NOT_FOUND');
  });

  it('keeps a deleted file resolvable as an entity, DELETED and without a link, for the runs that name it', async () => {
    const { id } = await upload(files, A, 'used-by-a-run.csv', Buffer.from('a\n1\n'));
    expect((await files.gql(`mutation($id: ID!) { deleteFile(id: $id) }`, { id }, A)).data).toEqual({ deleteFile: true });

    const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on File { id name status size downloadUrl } } }`;
    const r = await files.gql(entities, { r: [{ __typename: 'File', id }] }, A);
    expect(r.errors).toBeUndefined();
    expect(r.data._entities).toEqual([{ id, name: 'used-by-a-run.csv', status: 'DELETED', size: 4, downloadUrl: null }]);
    expect(codeOf(await files.gql(entities, { r: [{ __typename: 'File', id }] }, B))).toBe('NOT_FOUND');

    // Everywhere else it is gone: no file, no listing, no second deletion, no run input.
    expect(codeOf(await files.gql(FILE, { id }, A))).toBe('NOT_FOUND');
    const listed = await files.gql(`{ files(first: 100) { edges { node { id } } } }`, {}, A);
    expect(listed.data.files.edges.map((e: any) => e.node.id)).not.toContain(id);
    expect(codeOf(await files.gql(`mutation($id: ID!) { deleteFile(id: $id) }`, { id }, A))).toBe('NOT_FOUND');
    expect((await files.internal('GET', `/internal/files/${id}`, A)).status).toBe(404);
  });

  it('needs files:write', async () => {
    const { id } = await upload(files, A, 'kept.csv', Buffer.from('a\n1\n'));
    expect(codeOf(await files.gql(`mutation($id: ID!) { deleteFile(id: $id) }`, { id }, { tenant: TENANT_A, role: 'VIEWER' }))).toBe('FORBIDDEN');
  });
});
