import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerPool } from './server-pool.js';

/**
 * A loopback HTTP endpoint in the vitest main process through which test files (in worker processes) ask
 * for a server: `GET <url>/postgres`, `GET <url>/kafka`. This is what lets the servers start lazily, on the
 * first request, yet once per run. The random path segment keeps other local processes out.
 */
export async function startControlServer(pool: ServerPool): Promise<{ url: string; close(): Promise<void> }> {
  const token = randomBytes(16).toString('hex');
  const routes: Record<string, () => Promise<unknown>> = {
    [`/${token}/postgres`]: () => pool.postgres(),
    [`/${token}/kafka`]: () => pool.kafka(),
    [`/${token}/s3`]: () => pool.s3(),
  };
  const server = http.createServer((req, res) => {
    const route = routes[req.url ?? ''];
    if (!route) return void res.writeHead(404).end();
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    route().then(
      (info) => reply(200, info),
      (err: unknown) => reply(503, { error: err instanceof Error ? err.message : String(err) }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
