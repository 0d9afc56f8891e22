import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/**
 * A real HTTP proxy in front of a real subgraph that counts the GraphQL requests it forwards: the spy that
 * proves a refused operation never reached a subgraph. `failNext` answers the next GraphQL call with a
 * 500 whose body holds internals, to show they never reach a client.
 */
export async function countingProxy(target: string) {
  let calls = 0;
  let fail = false;
  const server = createServer(async (req, res) => {
    const body = await read(req);
    if (req.url?.startsWith('/graphql')) {
      calls++;
      if (fail) {
        fail = false;
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Error: connect ECONNREFUSED 10.0.0.7:5432\n    at TCPConnectWrap.afterConnect');
        return;
      }
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP_BY_HOP.has(k)).map(([k, v]) => [k, String(v)]));
    const reply = await fetch(new URL(req.url ?? '/', target), { method: req.method, headers, body: body.length ? body : undefined });
    const out = Object.fromEntries([...reply.headers].filter(([k]) => !HOP_BY_HOP.has(k) && k !== 'content-encoding'));
    res.writeHead(reply.status, out).end(Buffer.from(await reply.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get calls() { return calls; },
    failNext() { fail = true; },
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

async function read(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
