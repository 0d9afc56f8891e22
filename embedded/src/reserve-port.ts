import { createServer } from 'node:net';

/**
 * `wanted` (a free port if 0), held by a listener of ours until `release`; rejects with EADDRINUSE when it is
 * taken. A client that connects meanwhile (a health check, a browser retrying `PORT`) is refused at once: a
 * connection left open would keep `release` (net.Server#close waits for every connection) from ever ending,
 * and the start with it.
 */
export function reservePort(host: string, wanted: number): Promise<{ port: number; release(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const srv = createServer((socket) => socket.destroy());
    srv.once('error', reject);
    srv.listen(wanted, host, () => {
      const { port } = srv.address() as { port: number };
      resolve({ port, release: () => new Promise<void>((done) => srv.close(() => done())) });
    });
  });
}
