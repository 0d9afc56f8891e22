// The load generator, run as its own process so it does not share the gateway's event loop or CPU
// accounting. Sends one GraphQL request over and over from `concurrency` workers, until `maxRequests`
// are sent or `seconds` have passed (whichever first), and prints one JSON line of results.
//   node query-load.mjs <url> <authorization> <query> <concurrency> <seconds> <maxRequests>
import { Agent, request } from 'node:http';

const [url, authorization, query, concurrency, seconds, maxRequests] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxSockets: Number(concurrency) });
const body = JSON.stringify({ query });
const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization };

function post() {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, reply: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
const deadline = performance.now() + Number(seconds) * 1000;
const latencies = [];
let sent = 0;
let failed = 0;
let firstFailure;

async function worker() {
  while (performance.now() < deadline && sent < Number(maxRequests)) {
    sent++;
    const t0 = performance.now();
    const { status, reply } = await post();
    latencies.push(performance.now() - t0);
    if (status !== 200 || reply.errors) { failed++; firstFailure ??= { status, errors: reply.errors }; }
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
agent.destroy();
process.stdout.write(`${JSON.stringify({ requests: latencies.length, failed, firstFailure, seconds: elapsed, perSecond: latencies.length / elapsed, p50: pct(0.5), p99: pct(0.99) })}\n`);
