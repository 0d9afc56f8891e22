import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, requireExecutable, startChild, waitForPort } from './process.js';

/**
 * A real OpenSSH server (Debian's openssh-server) of the test's own: its own config, host key and port on
 * 127.0.0.1. The login is the user running the tests, by a fresh public key only, forced to internal-sftp
 * and started in a fresh upload directory. (No ChrootDirectory: sshd requires every component of its path
 * to be root-owned and not world-writable, which the temporary folder is not.)
 */
export async function startSshd() {
  await requireExecutable('/usr/sbin/sshd', 'openssh-server');
  await requireExecutable('/usr/bin/ssh-keygen', 'openssh-client');
  // sshd refuses to start without its privilege separation directory; the package creates it only at boot.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'delivery-sshd-'));
  const uploadDir = join(dir, 'upload');
  mkdirSync(uploadDir);
  const keygen = (file: string, type: string) => execFileSync('/usr/bin/ssh-keygen', ['-q', '-t', type, '-N', '', '-f', join(dir, file)], { stdio: 'pipe' });
  keygen('host_ed25519', 'ed25519');
  keygen('client_key', 'ed25519');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  const fingerprint = execFileSync('/usr/bin/ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_ed25519.pub')], { encoding: 'utf8' }).split(' ')[1]!;
  const port = await freePort();
  const user = userInfo().username;
  writeFileSync(join(dir, 'sshd_config'), [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_ed25519')}`, `PidFile none`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'StrictModes no', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'UsePAM no', `AllowUsers ${user}`, 'PermitRootLogin prohibit-password',
    `ForceCommand internal-sftp -d ${uploadDir}`, 'Subsystem sftp internal-sftp', 'LogLevel ERROR',
  ].join('\n') + '\n');

  let proc: ReturnType<typeof startChild> | undefined;
  async function start() {
    proc = startChild('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')]);
    await waitForPort(port, proc.child, proc.output, 'sshd');
  }
  await start();
  return {
    port, user, fingerprint, uploadDir, remoteDir: uploadDir,
    privateKey: readFileSync(join(dir, 'client_key'), 'utf8'),
    start,
    async stop() { await proc?.stop(); proc = undefined; },
  };
}
export type Sshd = Awaited<ReturnType<typeof startSshd>>;
