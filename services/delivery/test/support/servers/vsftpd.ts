import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { freePort, requireExecutable, startChild, waitForPort } from './process.js';
import type { TestPki } from './tls.js';

/**
 * A real FTPS server (Debian's vsftpd) on 127.0.0.1 with explicit AUTH TLS required on control and data
 * connections, for uploads over FTPS (pyftpdlib closes a data connection whose TLS handshake starts before
 * the STOR command, which is what basic-ftp does). Anonymous login with uploads into `/outbox`; its PASV
 * replies name 10.255.255.1, which the client must not follow. vsftpd chroots, so it must run as root.
 */
export async function startVsftpd(pki: TestPki) {
  await requireExecutable('/usr/sbin/vsftpd', 'vsftpd');
  if (userInfo().uid !== 0) throw new Error('the FTPS tests run vsftpd, which needs root for its chroot: run them as root (as .ci/run does)');
  const ftpUid = Number(execFileSync('id', ['-u', 'ftp'], { encoding: 'utf8' }).trim());
  const dir = mkdtempSync(join(tmpdir(), 'delivery-vsftpd-'));
  chmodSync(dir, 0o755);
  const root = join(dir, 'root');
  const uploadDir = join(root, 'outbox');
  const empty = join(dir, 'empty');
  mkdirSync(uploadDir, { recursive: true });
  mkdirSync(empty);
  chownSync(uploadDir, ftpUid, 0);
  // vsftpd refuses an anonymous root the anonymous user could write to.
  chmodSync(root, 0o555);
  const port = await freePort();
  writeFileSync(join(dir, 'vsftpd.conf'), [
    'listen=YES', 'listen_address=127.0.0.1', `listen_port=${port}`, 'background=NO',
    'anonymous_enable=YES', 'local_enable=NO', 'write_enable=YES', 'anon_upload_enable=YES', 'anon_other_write_enable=YES',
    'anon_umask=022', `anon_root=${root}`, 'no_anon_password=YES',
    'pasv_enable=YES', 'pasv_address=10.255.255.1',
    'ssl_enable=YES', 'allow_anon_ssl=YES', 'force_anon_logins_ssl=YES', 'force_anon_data_ssl=YES', 'require_ssl_reuse=NO',
    `rsa_cert_file=${pki.certFile}`, `rsa_private_key_file=${pki.keyFile}`,
    `secure_chroot_dir=${empty}`, 'seccomp_sandbox=NO', 'xferlog_enable=NO',
  ].join('\n') + '\n');
  let proc: ReturnType<typeof startChild> | undefined;
  async function start() {
    proc = startChild('/usr/sbin/vsftpd', [join(dir, 'vsftpd.conf')]);
    await waitForPort(port, proc.child, proc.output, 'vsftpd');
  }
  await start();
  return {
    port, user: 'anonymous', password: 'rowline@example.com', uploadDir, remoteDir: '/outbox',
    start,
    async stop() { await proc?.stop(); proc = undefined; },
  };
}
export type Vsftpd = Awaited<ReturnType<typeof startVsftpd>>;
