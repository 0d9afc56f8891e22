import { hostname } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@rowline/kit';
import { startFtpd, type Ftpd } from './support/servers/ftpd.js';
import { createTestPki, type TestPki } from './support/servers/tls.js';
import { startVsftpd, type Vsftpd } from './support/servers/vsftpd.js';
import { startDeliveryRuntime, type DeliveryRuntimeHarness } from './support/runtime.js';

let pki: TestPki;
let ftp: Ftpd;
let ftps: Ftpd;
let vsftpd: Vsftpd;
let h: DeliveryRuntimeHarness;

beforeAll(async () => {
  pki = createTestPki();
  ftp = await startFtpd();
  ftps = await startFtpd({ tls: pki });
  vsftpd = await startVsftpd(pki);
  h = await startDeliveryRuntime({ extraCa: pki.caPem });
});
afterAll(async () => {
  await h?.stop();
  await ftp?.stop();
  await ftps?.stop();
  await vsftpd?.stop();
});

const ftpConfig = (server: Ftpd | Vsftpd, overrides: object = {}) => ({
  host: 'localhost', port: server.port, username: server.user, password: server.password, tls: 'NONE', directory: server.remoteDir, ...overrides,
});
async function ftpRoute(server: Ftpd | Vsftpd, overrides: object = {}, route: { fileNameTemplate?: string } = {}) {
  const workflowId = await h.workflow();
  const destinationId = await h.createDestination('FTP', ftpConfig(server, overrides));
  await h.attach(workflowId, destinationId, route);
  return { workflowId, destinationId };
}
const files = (server: Ftpd) => readdirSync(server.uploadDir);

describe('FTP and FTPS deliveries to real FTP servers (pyftpdlib, vsftpd) whose PASV replies point elsewhere', () => {
  it('uploads over plain FTP through EPSV, ignoring the passive address, and leaves no temporary file', async () => {
    const { workflowId } = await ftpRoute(ftp, {}, { fileNameTemplate: '{date}-{name}' });
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'stock.csv', content: 'sku,qty\nA1,4\n' }] });
    const [delivery] = await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    expect(delivery.fileName).toMatch(/^\d{4}-\d{2}-\d{2}-stock\.csv$/);
    expect(readFileSync(join(ftp.uploadDir, delivery.fileName), 'utf8')).toBe('sku,qty\nA1,4\n');
    expect(files(ftp).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('uploads over explicit FTPS (vsftpd, TLS on control and data), verifying the certificate against the test CA', async () => {
    const { workflowId } = await ftpRoute(vsftpd, { tls: 'EXPLICIT' }, { fileNameTemplate: 'secure-{executionId}.csv' });
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'secure.csv', content: 'secret,rows' }] });
    await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    expect(readFileSync(join(vsftpd.uploadDir, `secure-${executionId}.csv`), 'utf8')).toBe('secret,rows');
    expect(readdirSync(vsftpd.uploadDir).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('refuses an FTPS server whose certificate the trusted CAs did not sign', async () => {
    const trusted = await h.createDestination('FTP', ftpConfig(vsftpd, { tls: 'EXPLICIT' }));
    const probe = await h.must(`mutation($id: ID!) { testDestination(id: $id) { ok stage } }`, { id: trusted });
    expect(probe.testDestination).toEqual({ ok: true, stage: null });
    const stranger = await startVsftpd(createTestPki());
    try {
      const id = await h.createDestination('FTP', ftpConfig(stranger, { tls: 'EXPLICIT' }));
      const result = await h.must(`mutation($id: ID!) { testDestination(id: $id) { ok stage } }`, { id });
      expect(result.testDestination).toEqual({ ok: false, stage: 'TLS' });
    } finally {
      await stranger.stop();
    }
  });

  it('testDestination reports success, a refused login, and an FTPS login verified against the test CA', async () => {
    const query = `mutation($id: ID!) { testDestination(id: $id) { ok stage message } }`;
    const good = await h.createDestination('FTP', ftpConfig(ftp));
    const badPassword = await h.createDestination('FTP', ftpConfig(ftp, { password: 'wrong' }));
    const secure = await h.createDestination('FTP', ftpConfig(ftps, { tls: 'EXPLICIT' }));
    expect((await h.must(query, { id: good })).testDestination).toEqual({ ok: true, stage: null, message: null });
    expect((await h.must(query, { id: badPassword })).testDestination).toMatchObject({ ok: false, stage: 'AUTH' });
    expect((await h.must(query, { id: secure })).testDestination).toEqual({ ok: true, stage: null, message: null });
  });

  it('retries while the server is down and uploads once when it is back', async () => {
    const { workflowId } = await ftpRoute(ftp);
    await ftp.stop();
    let restarted = false;
    try {
      const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'ftp-back.csv', content: 'back' }] });
      await h.waitFor(async () => (await h.deliveriesOf(executionId))[0]?.attempts.length >= 1, 'a failed attempt');
      await ftp.start();
      restarted = true;
      const [delivery] = await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
      expect(delivery.attempts[0]).toMatchObject({ outcome: 'FAILED', error: expect.stringMatching(/^CONNECT: /) });
      expect(files(ftp).filter((f) => f === 'ftp-back.csv')).toHaveLength(1);
    } finally {
      if (!restarted) await ftp.start();
    }
  });

  it('goes DEAD while the server stays down, then redeliver uploads it', async () => {
    const { workflowId } = await ftpRoute(ftp);
    await ftp.stop();
    let restarted = false;
    try {
      const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'ftp-dead.csv', content: 'dead' }] });
      const [dead] = await h.waitForDeliveries(executionId, 1, ['DEAD']);
      expect(dead.attempts).toHaveLength(8);
      await ftp.start();
      restarted = true;
      await h.must(`mutation($id: ID!) { redeliver(id: $id) { id } }`, { id: dead.id });
      await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
      expect(readFileSync(join(ftp.uploadDir, 'ftp-dead.csv'), 'utf8')).toBe('dead');
    } finally {
      if (!restarted) await ftp.start();
    }
  });

  it('uploads once when the run\'s success is replayed', async () => {
    const { workflowId } = await ftpRoute(ftp, {}, { fileNameTemplate: 'replayed-{executionId}.csv' });
    const { executionId, event } = await h.succeedRun({ workflowId, artifacts: [{ name: 'r.csv', content: 'r' }] });
    await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    await h.replay(event, { newEventId: true });
    const marker = await h.succeedRun({ workflowId, artifacts: [{ name: 'm.csv', content: 'm' }] });
    await h.waitForDeliveries(marker.executionId, 1, ['SUCCEEDED']);
    expect(await h.deliveriesOf(executionId)).toHaveLength(1);
    expect(files(ftp).filter((f) => f === `replayed-${executionId}.csv`)).toHaveLength(1);
  });

  it('refuses internal hosts: literal ones when saved, named ones at connect time', async () => {
    for (const host of ['127.0.0.1', '017700000001', '0x7f000001', '[::1]', '169.254.169.254', '192.168.1.1']) {
      const result = await h.gql(`mutation($input: CreateDestinationInput!) { createDestination(input: $input) { id } }`, {
        input: { name: `ftp ${host}`, kind: 'FTP', config: ftpConfig(ftp, { host }) },
      });
      expect(result.errors?.[0]?.extensions.code, host).toBe('BAD_USER_INPUT');
    }
    const { workflowId } = await ftpRoute(ftp, { host: hostname() });
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'ssrf.csv', content: 's' }] });
    const [delivery] = await h.waitForDeliveries(executionId, 1, ['DEAD']);
    expect(delivery.lastError).toMatch(new RegExp(`^SSRF: Refused to connect to ${hostname()}`));
  });
});
