import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@rowline/kit';
import { startSshd, type Sshd } from './support/servers/sshd.js';
import { startDeliveryRuntime, type DeliveryRuntimeHarness } from './support/runtime.js';

let sshd: Sshd;
let h: DeliveryRuntimeHarness;

beforeAll(async () => {
  sshd = await startSshd();
  h = await startDeliveryRuntime();
});
afterAll(async () => {
  await h?.stop();
  await sshd?.stop();
});

const sftpConfig = (overrides: object = {}) => ({
  host: 'localhost', port: sshd.port, username: sshd.user, privateKey: sshd.privateKey, hostKeySha256: sshd.fingerprint, directory: sshd.remoteDir, ...overrides,
});
async function sftpRoute(overrides: object = {}, route: { fileNameTemplate?: string } = {}) {
  const workflowId = await h.workflow();
  const destinationId = await h.createDestination('SFTP', sftpConfig(overrides));
  await h.attach(workflowId, destinationId, route);
  return { workflowId, destinationId };
}
const uploaded = () => readdirSync(sshd.uploadDir);

describe('SFTP deliveries to a real OpenSSH server', () => {
  it('uploads the artifact under its templated name and leaves no temporary file', async () => {
    const { workflowId } = await sftpRoute({}, { fileNameTemplate: '{stem}-{executionId}.{ext}' });
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'ledger.csv', content: 'id,amount\n1,9.50\n' }] });
    const [delivery] = await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    expect(delivery.fileName).toBe(`ledger-${executionId}.csv`);
    expect(readFileSync(join(sshd.uploadDir, delivery.fileName), 'utf8')).toBe('id,amount\n1,9.50\n');
    expect(uploaded().filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('refuses a server whose host key is not the pinned one, and says so', async () => {
    const wrong = 'SHA256:' + Buffer.alloc(32, 1).toString('base64').replace(/=+$/, '');
    const { workflowId, destinationId } = await sftpRoute({ hostKeySha256: wrong });
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'pinned.csv', content: 'p' }] });
    const [delivery] = await h.waitForDeliveries(executionId, 1, ['DEAD']);
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.lastError).toContain(`HOST_KEY: localhost presented host key ${sshd.fingerprint}, not the pinned ${wrong}`);
    expect(uploaded()).not.toContain('pinned.csv');
    const probe = await h.must(`mutation($id: ID!) { testDestination(id: $id) { ok stage } }`, { id: destinationId });
    expect(probe.testDestination).toEqual({ ok: false, stage: 'HOST_KEY' });
  });

  it('testDestination reports success, a refused login, and a missing directory', async () => {
    const query = `mutation($id: ID!) { testDestination(id: $id) { ok stage message } }`;
    const good = await h.createDestination('SFTP', sftpConfig());
    const badUser = await h.createDestination('SFTP', sftpConfig({ username: 'nobody-here' }));
    const noDir = await h.createDestination('SFTP', sftpConfig({ directory: '/no/such/dir' }));
    expect((await h.must(query, { id: good })).testDestination).toEqual({ ok: true, stage: null, message: null });
    expect((await h.must(query, { id: badUser })).testDestination).toMatchObject({ ok: false, stage: 'AUTH' });
    expect((await h.must(query, { id: noDir })).testDestination).toMatchObject({ ok: false, stage: 'REMOTE', message: expect.stringContaining('/no/such/dir') });
  });

  it('retries while sshd is down and uploads once when it is back', async () => {
    const { workflowId } = await sftpRoute();
    await sshd.stop();
    let restarted = false;
    try {
      const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'comeback.csv', content: 'back' }] });
      await h.waitFor(async () => (await h.deliveriesOf(executionId))[0]?.attempts.length >= 1, 'a failed attempt');
      await sshd.start();
      restarted = true;
      const [delivery] = await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
      expect(delivery.attempts[0]).toMatchObject({ outcome: 'FAILED', error: expect.stringMatching(/^CONNECT: /) });
      expect(uploaded().filter((f) => f === 'comeback.csv')).toHaveLength(1);
    } finally {
      if (!restarted) await sshd.start();
    }
  });

  it('goes DEAD while sshd stays down, then redeliver uploads it', async () => {
    const { workflowId } = await sftpRoute();
    await sshd.stop();
    let restarted = false;
    try {
      const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'late-night.csv', content: 'zzz' }] });
      const [dead] = await h.waitForDeliveries(executionId, 1, ['DEAD']);
      expect(dead.attempts).toHaveLength(8);
      await sshd.start();
      restarted = true;
      await h.must(`mutation($id: ID!) { redeliver(id: $id) { id } }`, { id: dead.id });
      await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
      expect(readFileSync(join(sshd.uploadDir, 'late-night.csv'), 'utf8')).toBe('zzz');
    } finally {
      if (!restarted) await sshd.start();
    }
  });

  it('uploads once when the run\'s success is replayed', async () => {
    const { workflowId } = await sftpRoute({}, { fileNameTemplate: 'replayed-{executionId}.csv' });
    const { executionId, event } = await h.succeedRun({ workflowId, artifacts: [{ name: 'r.csv', content: 'r' }] });
    await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    await h.replay(event, { newEventId: true });
    const marker = await h.succeedRun({ workflowId, artifacts: [{ name: 'm.csv', content: 'm' }] });
    await h.waitForDeliveries(marker.executionId, 1, ['SUCCEEDED']);
    expect(await h.deliveriesOf(executionId)).toHaveLength(1);
    expect(uploaded().filter((f) => f === `replayed-${executionId}.csv`)).toHaveLength(1);
  });

  it('refuses internal hosts: literal ones when saved, named ones at connect time', async () => {
    for (const host of ['127.0.0.1', '2130706433', '0x7f.0.0.1', '::ffff:7f00:1', '169.254.169.254']) {
      const result = await h.gql(`mutation($input: CreateDestinationInput!) { createDestination(input: $input) { id } }`, {
        input: { name: `sftp ${host}`, kind: 'SFTP', config: sftpConfig({ host }) },
      });
      expect(result.errors?.[0]?.extensions.code, host).toBe('BAD_USER_INPUT');
    }
    const named = await h.createDestination('SFTP', sftpConfig({ host: hostname() }));
    const probe = await h.must(`mutation($id: ID!) { testDestination(id: $id) { ok stage message } }`, { id: named });
    expect(probe.testDestination).toMatchObject({ ok: false, stage: 'SSRF', message: expect.stringContaining(`Refused to connect to ${hostname()}`) });
  });
});
