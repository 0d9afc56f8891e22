import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { TestPki } from './tls.js';

export type ReceivedWebhook = { id: string; timestamp: string; signatureValid: boolean; body: any };

/**
 * A local HTTPS receiver that verifies Standard Webhooks signatures with the secret(s) it is told, the way a
 * customer's endpoint would. `reply` decides the answer to each request (default 204); `stop`/`start`
 * take it down and bring it back on the same port.
 */
export async function startWebhookReceiver(pki: TestPki, opts: { secrets: string[] }) {
  const received: ReceivedWebhook[] = [];
  let secrets = opts.secrets;
  let reply: (n: number) => { status: number; headers?: Record<string, string> } = () => ({ status: 204 });
  let server: Server | undefined;
  let port = 0;

  const verify = (id: string, timestamp: string, body: string, header: string) => header.split(' ').some((sig) => secrets.some((secret) => {
    const expected = Buffer.from(`v1,${createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64')}`);
    const given = Buffer.from(sig);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }));

  async function start() {
    server = createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const id = String(req.headers['webhook-id'] ?? '');
        const timestamp = String(req.headers['webhook-timestamp'] ?? '');
        const signatureValid = verify(id, timestamp, raw, String(req.headers['webhook-signature'] ?? ''));
        const answer = signatureValid ? reply(received.length) : { status: 401 };
        if (signatureValid && answer.status < 300) received.push({ id, timestamp, signatureValid, body: JSON.parse(raw) });
        res.writeHead(answer.status, answer.headers).end();
      });
    });
    await new Promise<void>((resolve, reject) => { server!.once('error', reject); server!.listen(port, '127.0.0.1', () => resolve()); });
    port = (server.address() as { port: number }).port;
  }
  await start();

  return {
    received,
    get port() { return port; },
    get url() { return `https://localhost:${port}/hooks/rowline`; },
    setSecrets(next: string[]) { secrets = next; },
    /** n = how many deliveries were accepted so far. */
    onRequest(fn: typeof reply) { reply = fn; },
    start,
    async stop() {
      if (!server) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    },
  };
}
export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
