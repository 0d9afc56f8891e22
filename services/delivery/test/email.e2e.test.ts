import { mkdir, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@rowline/kit';
import { startSmtpSink, type SmtpSink } from './support/servers/smtp-sink.js';
import { startDeliveryRuntime, type DeliveryRuntimeHarness } from './support/runtime.js';

let smtp: SmtpSink;
let h: DeliveryRuntimeHarness;

beforeAll(async () => {
  smtp = await startSmtpSink();
  h = await startDeliveryRuntime({ smtpUrl: smtp.url });
});
afterAll(async () => {
  await h?.stop();
  await smtp?.stop();
});

async function emailRoute(config: object) {
  const workflowId = await h.workflow();
  const destinationId = await h.createDestination('EMAIL', { to: ['finance@example.com'], subject: 'Nightly totals', ...config });
  await h.attach(workflowId, destinationId);
  return { workflowId, destinationId };
}
/**
 * Puts something in the way of the artifact stored under `key`, where storage keeps it: a symlink to itself (its
 * open fails, ELOOP) or a directory (its open succeeds and its read fails, EISDIR). Answers the undo.
 */
async function inTheWay(key: string, what: 'symlink' | 'directory'): Promise<() => Promise<void>> {
  const path = join(h.storageDir, key);
  await rename(path, `${path}.away`);
  if (what === 'symlink') await symlink(path, path);
  else await mkdir(path);
  return async () => { await rm(path, { recursive: true }); await rename(`${path}.away`, path); };
}

/** Neither where storage keeps the artifact nor storage's own message reaches the attempt's error. */
function expectNothingOfStorage(error: string, key: string) {
  expect(error).not.toContain(h.storageDir);
  expect(error).not.toContain(key);
  expect(error).not.toMatch(/ELOOP|EISDIR|\/artifacts\//);
}

/** The message with quoted-printable soft line breaks and `=3D` undone, so a long link reads as one string. */
const unfolded = (mail: string) => mail.replace(/=\r?\n/g, '').replace(/=3D/g, '=');

describe('EMAIL deliveries through a real SMTP server (aiosmtpd) that stores what it receives', () => {
  it('sends the artifact as an attachment', async () => {
    const { workflowId } = await emailRoute({ attach: true });
    const content = `total,${newId()}\n`;
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'totals.csv', content }] });
    await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    const mails = smtp.messages().filter((m) => m.includes(Buffer.from(content).toString('base64')) || m.includes(content));
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatch(/^To: finance@example\.com$/m);
    expect(mails[0]).toMatch(/^Subject: Nightly totals$/m);
    expect(mails[0]).toMatch(/filename=totals\.csv/);
    expect(mails[0]).toMatch(/^Message-ID: <dlv_[A-Za-z0-9_-]+@rowline\.delivery>$/m);
  });

  it('sends a download link instead when attach is false', async () => {
    const { workflowId } = await emailRoute({ attach: false, subject: 'Link only' });
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'linked.csv', content: 'l' }] });
    await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    const mails = smtp.messages().map(unfolded).filter((m) => /^Subject: Link only$/m.test(m) && m.includes('linked.csv'));
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatch(/https:\/\/files\.rowline\.test\/files\/download\/\S+/);
    expect(mails[0]).not.toMatch(/filename=linked\.csv/);
  });

  it('retries while the SMTP server is down and sends once when it is back', async () => {
    const { workflowId } = await emailRoute({ subject: 'After the outage' });
    await smtp.stop();
    let restarted = false;
    try {
      const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'outage.csv', content: 'o' }] });
      await h.waitFor(async () => (await h.deliveriesOf(executionId))[0]?.attempts.length >= 1, 'a failed attempt');
      await smtp.start();
      restarted = true;
      const [delivery] = await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
      // The SMTP server is the platform's: its host and port are no tenant's business.
      expect(delivery.attempts[0]).toMatchObject({ outcome: 'FAILED', error: 'CONNECT: SMTP server: the platform\'s mail server could not be reached' });
      expect(smtp.messages().filter((m) => /^Subject: After the outage$/m.test(m))).toHaveLength(1);
    } finally {
      if (!restarted) await smtp.start();
    }
  });

  it('says the artifact could not be read when storage fails to give it, naming neither its path nor its storage key', async () => {
    const { workflowId } = await emailRoute({ attach: true, subject: 'Unreadable artifact' });
    let restore: (() => Promise<void>) | undefined;
    let key = '';
    // A symlink to itself where the artifact is: storage's open fails (ELOOP, naming the path).
    const { executionId } = await h.succeedRun({
      workflowId, artifacts: [{ name: 'looped.csv', content: 'l' }],
      beforeAnnounce: async ([k]) => { key = k!; restore = await inTheWay(k!, 'symlink'); },
    });
    await h.waitFor(async () => (await h.deliveriesOf(executionId))[0]?.attempts.length >= 1, 'a failed attempt');
    await restore!();
    const [delivery] = await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    expect(delivery.attempts[0]).toMatchObject({ outcome: 'FAILED', error: 'READ: the artifact\'s bytes could not be read: storage failed' });
    expectNothingOfStorage(delivery.attempts[0].error, key);
  });

  it('says the artifact could not be read, not that the SMTP server failed, when storage fails partway through the attachment', async () => {
    const { workflowId } = await emailRoute({ attach: true, subject: 'Broken read' });
    let restore: (() => Promise<void>) | undefined;
    let key = '';
    // A directory where the artifact is: storage opens it, and its read fails (EISDIR) once the mail is under way.
    const { executionId } = await h.succeedRun({
      workflowId, artifacts: [{ name: 'directory.csv', content: 'd' }],
      beforeAnnounce: async ([k]) => { key = k!; restore = await inTheWay(k!, 'directory'); },
    });
    await h.waitFor(async () => (await h.deliveriesOf(executionId))[0]?.attempts.length >= 1, 'a failed attempt');
    await restore!();
    const [delivery] = await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    expect(delivery.attempts[0]).toMatchObject({ outcome: 'FAILED', error: 'READ: the artifact\'s bytes could not be read: storage failed partway through' });
    expectNothingOfStorage(delivery.attempts[0].error, key);
    expect(smtp.messages().filter((m) => /^Subject: Broken read$/m.test(m))).toHaveLength(1);
  });

  it('goes DEAD while the SMTP server stays down, then redeliver sends it', async () => {
    const { workflowId } = await emailRoute({ subject: 'Dead then alive' });
    await smtp.stop();
    let restarted = false;
    try {
      const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'dead.csv', content: 'd' }] });
      const [dead] = await h.waitForDeliveries(executionId, 1, ['DEAD']);
      expect(dead.attempts).toHaveLength(8);
      await smtp.start();
      restarted = true;
      await h.must(`mutation($id: ID!) { redeliver(id: $id) { id } }`, { id: dead.id });
      await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
      expect(smtp.messages().filter((m) => /^Subject: Dead then alive$/m.test(m))).toHaveLength(1);
    } finally {
      if (!restarted) await smtp.start();
    }
  });

  it('sends once when the run\'s success is replayed', async () => {
    const { workflowId } = await emailRoute({ subject: 'Replayed run' });
    const { executionId, event } = await h.succeedRun({ workflowId, artifacts: [{ name: 'once.csv', content: 'x' }] });
    await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    await h.replay(event, { newEventId: true });
    const marker = await h.succeedRun({ workflowId, artifacts: [{ name: 'marker.csv', content: 'm' }] });
    await h.waitForDeliveries(marker.executionId, 1, ['SUCCEEDED']);
    expect(await h.deliveriesOf(executionId)).toHaveLength(1);
    expect(smtp.messages().filter((m) => /^Subject: Replayed run$/m.test(m))).toHaveLength(2);
  });

  it('testDestination checks the SMTP server for real', async () => {
    const { destinationId } = await emailRoute({});
    const query = `mutation($id: ID!) { testDestination(id: $id) { ok stage message } }`;
    expect((await h.must(query, { id: destinationId })).testDestination).toEqual({ ok: true, stage: null, message: null });
    await smtp.stop();
    try {
      expect((await h.must(query, { id: destinationId })).testDestination)
        .toEqual({ ok: false, stage: 'CONNECT', message: 'SMTP server: the platform\'s mail server could not be reached' });
    } finally {
      await smtp.start();
    }
  });
});
