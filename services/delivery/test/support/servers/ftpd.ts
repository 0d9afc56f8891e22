import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requirePythonModule, startChild, waitForPort } from './process.js';
import type { TestPki } from './tls.js';

/**
 * A real FTP server (Debian's python3-pyftpdlib) on 127.0.0.1, plain or FTPS (explicit AUTH TLS). Its PASV
 * replies name 10.255.255.1 (`masquerade_address`), an address the client must not follow: deliveries only
 * work because the client uses EPSV and the control connection's address.
 */
export async function startFtpd(opts: { tls?: TestPki } = {}) {
  await requirePythonModule('pyftpdlib', 'python3-pyftpdlib');
  if (opts.tls) await requirePythonModule('OpenSSL', 'python3-openssl');
  const dir = mkdtempSync(join(tmpdir(), 'delivery-ftpd-'));
  const home = join(dir, 'home');
  mkdirSync(join(home, 'outbox'), { recursive: true });
  const port = await freePort();
  const credentials = { user: 'rowline', password: 'ftp-test-password' };
  writeFileSync(join(dir, 'server.py'), `
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.servers import FTPServer
${opts.tls ? 'from pyftpdlib.handlers import TLS_FTPHandler as Handler' : 'from pyftpdlib.handlers import FTPHandler as Handler'}
auth = DummyAuthorizer()
auth.add_user(${JSON.stringify(credentials.user)}, ${JSON.stringify(credentials.password)}, ${JSON.stringify(home)}, perm="elradfmwMT")
Handler.authorizer = auth
Handler.masquerade_address = "10.255.255.1"
${opts.tls ? `Handler.certfile = ${JSON.stringify(opts.tls.certFile)}\nHandler.keyfile = ${JSON.stringify(opts.tls.keyFile)}\nHandler.tls_control_required = True\nHandler.tls_data_required = True\nfrom OpenSSL import SSL\nHandler.ssl_protocol = SSL.TLSv1_2_METHOD` : ''}
server = FTPServer(("127.0.0.1", ${port}), Handler)
server.serve_forever()
`);
  let proc: ReturnType<typeof startChild> | undefined;
  async function start() {
    proc = startChild('/usr/bin/python3', [join(dir, 'server.py')]);
    await waitForPort(port, proc.child, proc.output, 'pyftpdlib');
  }
  await start();
  return {
    port, ...credentials, uploadDir: join(home, 'outbox'), remoteDir: '/outbox',
    start,
    async stop() { await proc?.stop(); proc = undefined; },
  };
}
export type Ftpd = Awaited<ReturnType<typeof startFtpd>>;
