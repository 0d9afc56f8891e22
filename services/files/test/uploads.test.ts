import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FILE_FIELDS, FILE_URL_SECRET, TENANT_A, startFiles, upload, type Files, type HttpReply } from './support/harness.js';
import { LINK_HINTS } from '../src/domain/links.js';
import { MULTIPART_MESSAGE } from '../src/http/transfer.js';
import { PDF, WORKBOOK_XML, handMadeXlsx, renameEntry, salesWorkbook, zipOf } from './support/fixtures.js';

const A = { tenant: TENANT_A };
let files: Files;
beforeAll(async () => { files = await startFiles({ maxUploadBytes: 1024 * 1024 }); });
afterAll(async () => { await files?.stop(); });
afterEach(async () => { expect(await files.healthy()).toBe(true); });

const fileById = async (id: string) => (await files.gql(`query($id: ID!) { file(id: $id) { ${FILE_FIELDS} } }`, { id }, A)).data?.file;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('uploading a file', () => {
  it('makes a csv READY with its header columns, their types and the row count', async () => {
    const csv = Buffer.from('\ufeffregion,amount,day,note\r\nNorth,120.5,2026-01-05,"a, b"\r\nSouth,80,2026-01-06,"multi\nline"\r\n\r\nEast,42,2026-01-07,\r\n');
    const put = await upload(files, A, 'Sales.csv', csv);
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ file: { id: put.id, status: 'READY', size: csv.length, sha256: sha(csv) } });
    const file = await fileById(put.id);
    expect(file).toMatchObject({ status: 'READY', contentType: 'text/csv', rejectionReason: null, kind: 'INPUT' });
    expect(file.sheets).toEqual([{
      name: 'Sales',
      rowCount: 3,
      columns: [
        { name: 'region', type: 'TEXT' }, { name: 'amount', type: 'NUMBER' }, { name: 'day', type: 'DATE' }, { name: 'note', type: 'TEXT' },
      ],
    }]);
    expect(file.downloadUrl).toMatch(/^https:\/\/files\.example\.test\/files\/download\//);
  });

  it('reads a semicolon-separated csv with the delimiter its first line uses', async () => {
    const put = await upload(files, A, 'eu.csv', Buffer.from('name;price\nTee;9,90\nCap;12,00\n'));
    expect(put.status).toBe(200);
    expect((await fileById(put.id)).sheets[0]).toMatchObject({ rowCount: 2, columns: [{ name: 'name' }, { name: 'price' }] });
  });

  it('makes an xlsx written by exceljs READY with its sheets, row counts and typed header columns', async () => {
    const xlsx = await salesWorkbook();
    const put = await upload(files, A, 'Sales.xlsx', xlsx);
    expect(put.status).toBe(200);
    expect(put.body.file).toMatchObject({ status: 'READY', sha256: sha(xlsx) });
    const file = await fileById(put.id);
    expect(file.contentType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(file.sheets).toEqual([
      {
        name: 'Sales', rowCount: 3,
        columns: [{ name: 'region', type: 'TEXT' }, { name: 'amount', type: 'NUMBER' }, { name: 'day', type: 'DATE' }, { name: 'paid', type: 'BOOLEAN' }],
      },
      { name: 'Notes', rowCount: 0, columns: [] },
    ]);
  });

  it('rejects a PDF named .xlsx as UNSUPPORTED_FILE, says what it is, and keeps none of its bytes', async () => {
    const put = await upload(files, A, 'report.xlsx', PDF);
    expect(put.status).toBe(415);
    expect(put.body.error).toMatchObject({ code: 'UNSUPPORTED_FILE', message: 'This is a PDF document, not an Excel workbook' });
    expect(await fileById(put.id)).toMatchObject({ status: 'REJECTED', rejectionReason: 'This is a PDF document, not an Excel workbook', downloadUrl: null, sheets: null });
    expect(await files.storedFiles()).not.toContain(`${TENANT_A}/files/${put.id}`);
  });

  it.each([
    ['a csv named .xlsx', 'data.xlsx', Buffer.from('a,b\n1,2\n'), 'This is a text file (such as CSV), not an Excel workbook'],
    ['a workbook named .csv', 'data.csv', null, 'This is an Excel workbook, not a CSV file; rename it to end in .xlsx'],
    ['a Latin-1 csv', 'latin.csv', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x31, 0x0a]), 'This file is not UTF-8 text; save it as "CSV UTF-8" and upload it again'],
    ['a UTF-16 csv', 'wide.csv', Buffer.from('\ufeffa,b\n', 'utf16le'), 'This file is saved as UTF-16 text; save it as "CSV UTF-8" and upload it again'],
    ['binary bytes named .csv', 'blob.csv', Buffer.from([0x01, 0x00, 0x02, 0x03]), 'This is a binary file, not a CSV file'],
    ['an empty csv', 'empty.csv', Buffer.from('\n\n'), 'This CSV file is empty'],
    ['a PNG named .csv', 'pic.csv', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'This is a PNG image, not a CSV file'],
  ])('rejects %s with a reason a person understands', async (_label, name, bytes, reason) => {
    const put = await upload(files, A, name, bytes ?? (await salesWorkbook()));
    expect(put.body.error).toMatchObject({ code: 'UNSUPPORTED_FILE', message: reason });
    expect(await fileById(put.id)).toMatchObject({ status: 'REJECTED', rejectionReason: reason });
  });

  it('names other zip files: a Word document, a plain archive', async () => {
    const docx = await upload(files, A, 'letter.xlsx', await zipOf({ 'word/document.xml': '<w:document/>' }));
    expect(docx.body.error.message).toBe('This is a Word document, not an Excel workbook');
    const zip = await upload(files, A, 'backup.xlsx', await zipOf({ 'notes.txt': 'hello' }));
    expect(zip.body.error.message).toBe('This is a ZIP archive, not an Excel workbook');
  });

  it('refuses a workbook with an XML document type declaration (entity bombs, external entities)', async () => {
    const bomb = WORKBOOK_XML.replace('<workbook', '<!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><workbook');
    const put = await upload(files, A, 'lol.xlsx', await handMadeXlsx(bomb));
    expect(put.body.error).toMatchObject({ code: 'UNSUPPORTED_FILE' });
    expect(put.body.error.message).toMatch(/document type declaration/);
  });

  it('refuses a zip bomb before inflating it', async () => {
    const put = await upload(files, A, 'bomb.xlsx', await handMadeXlsx(WORKBOOK_XML, { 'xl/media/zeros.bin': Buffer.alloc(16 * 1024 * 1024) }));
    expect(put.body.error).toMatchObject({ code: 'UNSUPPORTED_FILE' });
    expect(put.body.error.message).toMatch(/zip bomb/);
  });

  it('refuses a workbook with a part outside the archive root (path traversal)', async () => {
    const zip = await handMadeXlsx(WORKBOOK_XML, { 'xl/zz/zz/etc/cron.d/x': 'boom' });
    const put = await upload(files, A, 'evil.xlsx', renameEntry(zip, 'xl/zz/zz/etc/cron.d/x', 'xl/../../etc/cron.d/x'));
    expect(put.body.error).toMatchObject({ code: 'UNSUPPORTED_FILE', message: 'This workbook is damaged or is not a valid .xlsx file' });
  });
});

describe('the size cap', () => {
  it('answers PAYLOAD_TOO_LARGE when Content-Length exceeds the declared size, and stores nothing', async () => {
    const put = await upload(files, A, 'big.csv', Buffer.from('a,b\n1,2\n3,4\n'), { declaredSize: 4 });
    expect(put.status).toBe(413);
    expect(put.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await files.storedFiles()).filter((f) => f.includes(put.id))).toEqual([]);
    expect((await fileById(put.id)).status).toBe('UPLOADING');
  });

  it('answers PAYLOAD_TOO_LARGE when a streamed body runs past the declared size, and stores nothing', async () => {
    const created = await files.gql(`mutation { createUpload(input: {name: "s.csv", size: 10}) { uploadUrl file { id } } }`, {}, A);
    const { uploadUrl, file } = created.data.createUpload;
    const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('a,b\n1,2\n')); c.enqueue(new TextEncoder().encode('3,4\n5,6\n')); c.close(); } });
    const res = await fetch(files.local(uploadUrl), { method: 'PUT', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as HttpReply).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await files.storedFiles()).filter((f) => f.includes(file.id))).toEqual([]);
  });

  it('refuses a body shorter than declared and lets the client try again with the same link', async () => {
    const bytes = Buffer.from('a,b\n1,2\n');
    const short = await upload(files, A, 'short.csv', bytes, { declaredSize: bytes.length + 5 });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe('BAD_USER_INPUT');
    expect((await fileById(short.id)).status).toBe('UPLOADING');
    const retry = await fetch(files.local(short.uploadUrl), { method: 'PUT', body: Buffer.concat([bytes, Buffer.from('5,6\n\n')]) });
    expect(retry.status).toBe(200);
  });
});

/** An upload whose body the test releases later, to act while the bytes are in flight. */
async function slowUpload(name: string, bytes: Buffer) {
  const created = await files.gql(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { uploadUrl file { id } } }`, { i: { name, size: bytes.length } }, A);
  const { uploadUrl, file } = created.data.createUpload;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start(c) { controller = c; } });
  controller.enqueue(bytes.subarray(0, 2));
  const abort = new AbortController();
  const response = fetch(files.local(uploadUrl), { method: 'PUT', body, duplex: 'half', signal: abort.signal } as RequestInit);
  // The first bytes reach storage's temporary file only once the upload holds its lease.
  while (!(await files.storedFiles()).some((f) => f.includes(file.id))) await new Promise((r) => setTimeout(r, 10));
  return {
    id: file.id as string,
    uploadUrl: uploadUrl as string,
    async finish() { controller.enqueue(bytes.subarray(2)); controller.close(); const res = await response; return { status: res.status, body: (await res.json()) as HttpReply }; },
    async abort() { abort.abort(); await response.catch(() => undefined); },
  };
}

describe('uploads in flight', () => {
  it('let only one PUT of a link write at a time', async () => {
    const bytes = Buffer.from('a,b\n1,2\n');
    const first = await slowUpload('race.csv', bytes);
    const second = await fetch(files.local(first.uploadUrl), { method: 'PUT', body: bytes });
    expect(second.status).toBe(409);
    expect(((await second.json()) as HttpReply).error).toEqual({ code: 'CONFLICT', message: 'Another upload of this file is in progress' });
    expect(await first.finish()).toMatchObject({ status: 200, body: { file: { status: 'READY' } } });
  });

  it('leave no bytes behind when the file is deleted while they arrive', async () => {
    const upload = await slowUpload('deleted.csv', Buffer.from('a,b\n1,2\n'));
    const deleted = await files.gql(`mutation($id: ID!) { deleteFile(id: $id) }`, { id: upload.id }, A);
    expect(deleted.data).toEqual({ deleteFile: true });
    expect(await upload.finish()).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    expect((await files.storedFiles()).filter((f) => f.includes(upload.id))).toEqual([]);
  });

  it('release the link when the client goes away mid-upload, leaving no partial bytes', async () => {
    const bytes = Buffer.from('a,b\n1,2\n');
    const upload = await slowUpload('dropped.csv', bytes);
    await upload.abort();
    let retry: Response | undefined;
    // The server notices the dropped connection asynchronously; until then the lease is still held.
    for (const end = Date.now() + 20_000; Date.now() < end && retry?.status !== 200;) {
      await new Promise((r) => setTimeout(r, 20));
      retry = await fetch(files.local(upload.uploadUrl), { method: 'PUT', body: bytes });
    }
    expect(retry?.status).toBe(200);
    expect((await files.storedFiles()).filter((f) => f.includes(upload.id))).toEqual([`${TENANT_A}/files/${upload.id}`]);
  });
});

describe('an upload sent as a multipart form (curl -F)', () => {
  it('is refused with BAD_USER_INPUT saying to send the raw bytes, before anything is stored, and the link still takes them', async () => {
    const csv = Buffer.from('a,b\n1,2\n');
    const created = await files.gql(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { uploadUrl file { id } } }`, { i: { name: 'form.csv', size: csv.length } }, A);
    const { uploadUrl, file } = created.data.createUpload;
    // As curl -X PUT -F file=@form.csv sends it: a body longer than the declared size (413 before the refusal).
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'form.csv');
    const res = await fetch(files.local(uploadUrl), { method: 'PUT', body: form });
    expect(res.status).toBe(400);
    expect(((await res.json()) as HttpReply).error).toEqual({ code: 'BAD_USER_INPUT', message: MULTIPART_MESSAGE, header: 'content-type' });
    expect(MULTIPART_MESSAGE).toMatch(/curl -T .*--data-binary @/);
    expect((await files.storedFiles()).filter((f) => f.includes(file.id))).toEqual([]);
    expect((await fileById(file.id)).status).toBe('UPLOADING');

    const raw = await fetch(files.local(uploadUrl), { method: 'PUT', body: csv });
    expect(raw.status).toBe(200);
  });
});

describe('upload links', () => {
  it('answer UNAUTHENTICATED when forged, expired, or meant for downloads, with the hint to ask createUpload for a new one', async () => {
    const put = await upload(files, A, 'ok.csv', Buffer.from('a\n1\n'));
    const sign = (claims: { aud: string; exp: number }, secret = FILE_URL_SECRET) => new SignJWT({ tid: TENANT_A })
      .setProtectedHeader({ alg: 'HS256' }).setIssuer('rowline-files').setAudience(claims.aud).setSubject(put.id)
      .setExpirationTime(claims.exp).sign(new TextEncoder().encode(secret));
    const now = Math.floor(Date.now() / 1000);
    const tokens = [
      await sign({ aud: 'files:upload', exp: now - 60 }),
      await sign({ aud: 'files:upload', exp: now + 600 }, 'another-secret-that-is-long-enough-000000'),
      await sign({ aud: 'files:download', exp: now + 600 }),
      'not-a-token',
      'x'.repeat(5000),
    ];
    for (const token of tokens) {
      const res = await fetch(`${files.base}/files/upload/${token}`, { method: 'PUT', body: 'a\n1\n' });
      expect(res.status).toBe(401);
      expect(((await res.json()) as HttpReply).error).toEqual({ code: 'UNAUTHENTICATED', message: 'This link is invalid or has expired', hint: LINK_HINTS.upload });
    }
    expect(LINK_HINTS.upload).toContain('createUpload');
  });

  it('answer CONFLICT once the file is no longer UPLOADING', async () => {
    const put = await upload(files, A, 'once.csv', Buffer.from('a\n1\n'));
    const again = await fetch(files.local(put.uploadUrl), { method: 'PUT', body: 'a\n1\n' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as HttpReply).error.code).toBe('CONFLICT');
  });
});
