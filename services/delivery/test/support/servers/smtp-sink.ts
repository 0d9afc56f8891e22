import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requirePythonModule, startChild, waitForPort } from './process.js';

/** A real SMTP server (Debian's python3-aiosmtpd) that stores every message it accepts in a Maildir. */
export async function startSmtpSink() {
  await requirePythonModule('aiosmtpd', 'python3-aiosmtpd');
  const dir = mkdtempSync(join(tmpdir(), 'delivery-smtp-'));
  const maildir = join(dir, 'Maildir');
  const port = await freePort();
  let proc: ReturnType<typeof startChild> | undefined;
  async function start() {
    proc = startChild('/usr/bin/python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir]);
    await waitForPort(port, proc.child, proc.output, 'aiosmtpd');
  }
  await start();
  return {
    port, url: `smtp://127.0.0.1:${port}`,
    /** The raw messages received so far. */
    messages(): string[] {
      try {
        return readdirSync(join(maildir, 'new')).map((f) => readFileSync(join(maildir, 'new', f), 'utf8'));
      } catch {
        return [];
      }
    },
    start,
    async stop() { await proc?.stop(); proc = undefined; },
  };
}
export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>;
