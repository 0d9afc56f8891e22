import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TENANT_A, startFiles, upload, type Files, type HttpReply } from './support/harness.js';
import { salesWorkbook } from './support/fixtures.js';
import { LINK_HINTS } from '../src/domain/links.js';

const A = { tenant: TENANT_A };
let files: Files;
beforeAll(async () => { files = await startFiles(); });
afterAll(async () => { await files?.stop(); });
afterEach(async () => { expect(await files.healthy()).toBe(true); });

const linkOf = async (id: string) => (await files.gql(`query($id: ID!) { file(id: $id) { downloadUrl } }`, { id }, A)).data.file.downloadUrl as string;

describe('downloading a file', () => {
  it('returns the exact bytes, the detected content type, and a header no file name can break', async () => {
    const xlsx = await salesWorkbook();
    const { id, status } = await upload(files, A, 'a"b\r\nX: y.xlsx', xlsx);
    expect(status).toBe(200);
    const res = await fetch(files.local(await linkOf(id)));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(xlsx)).toBe(true);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="a_b__X: y.xlsx"; filename*=UTF-8''a%22b__X%3A%20y.xlsx`);
    expect(res.headers.get('x')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
  });

  it('gives a non-ASCII name an ASCII fallback and the exact name in filename*', async () => {
    const { id } = await upload(files, A, 'Übersicht März.csv', Buffer.from('a\n1\n'));
    const res = await fetch(files.local(await linkOf(id)));
    expect(res.headers.get('content-type')).toBe('text/csv');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="Ubersicht Marz.csv"; filename*=UTF-8''%C3%9Cbersicht%20M%C3%A4rz.csv`);
  });

  it('refuses an upload link used as a download link, and a tampered one, with the hint to read downloadUrl again', async () => {
    const { id, uploadUrl } = await upload(files, A, 'x.csv', Buffer.from('a\n1\n'));
    const token = uploadUrl.split('/').pop()!;
    const misused = await fetch(`${files.base}/files/download/${token}`);
    expect(misused.status).toBe(401);
    expect(((await misused.json()) as HttpReply).error.hint).toBe(LINK_HINTS.download);
    const link = files.local(await linkOf(id));
    const tampered = link.slice(0, -2) + (link.endsWith('AA') ? 'BB' : 'AA');
    const res = await fetch(tampered);
    expect(res.status).toBe(401);
    expect(((await res.json()) as HttpReply).error).toEqual({ code: 'UNAUTHENTICATED', message: 'This link is invalid or has expired', hint: LINK_HINTS.download });
    expect(LINK_HINTS.download).toContain('downloadUrl');
  });

  it('has no link for a file that is not READY', async () => {
    const r = await files.gql(`mutation { createUpload(input: {name: "later.csv", size: 4}) { file { downloadUrl status } } }`, {}, A);
    expect(r.data.createUpload.file).toEqual({ downloadUrl: null, status: 'UPLOADING' });
  });
});

describe('a method or path the files routes do not have', () => {
  const errorOf = async (res: Response) => {
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    return ((await res.json()) as HttpReply).error;
  };

  it('answers another method on a link with 405 METHOD_NOT_ALLOWED, the methods it allows, and stores nothing', async () => {
    const r = await files.gql(`mutation { createUpload(input: {name: "posted.csv", size: 4}) { file { id } uploadUrl } }`, {}, A);
    const { uploadUrl, file } = r.data.createUpload;
    const posted = await fetch(files.local(uploadUrl), { method: 'POST', body: 'a\n1\n' });
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('PUT');
    expect(await errorOf(posted)).toMatchObject({ code: 'METHOD_NOT_ALLOWED', allow: ['PUT'] });
    expect((await files.gql(`query($id: ID!) { file(id: $id) { status } }`, { id: file.id }, A)).data.file.status).toBe('UPLOADING');
    const deleted = await fetch(`${files.base}/files/download/some-token`, { method: 'DELETE' });
    expect(deleted.status).toBe(405);
    expect(deleted.headers.get('allow')).toBe('GET, HEAD');
    expect((await errorOf(deleted)).code).toBe('METHOD_NOT_ALLOWED');
    const internal = await fetch(`${files.base}/internal/artifacts`, { method: 'GET' });
    expect([internal.status, internal.headers.get('allow'), (await errorOf(internal)).code]).toEqual([405, 'POST', 'METHOD_NOT_ALLOWED']);
    // OPTIONS asks what is allowed: answered, not refused.
    const options = await fetch(files.local(uploadUrl), { method: 'OPTIONS' });
    expect([options.status, options.headers.get('allow')]).toEqual([204, 'PUT']);
  });

  it('answers an unknown path under /files or /internal with 404 NOT_FOUND, without echoing it', async () => {
    for (const [method, path] of [['GET', '/files/uploads/secret-token'], ['POST', '/files'], ['GET', '/internal/nothing']] as const) {
      const res = await fetch(`${files.base}${path}`, { method });
      expect(res.status, path).toBe(404);
      const error = await errorOf(res);
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).not.toContain('secret-token');
    }
  });
});
