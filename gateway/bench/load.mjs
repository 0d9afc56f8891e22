// The load generator of the gateway benchmark, in its own process so that it does not share an event loop
// with what it measures. Sends exactly REQUESTS POSTs of one operation with CONCURRENCY in flight, over
// keep-alive connections, and prints one JSON line: {requests, failures, seconds, rps}. A reply counts as a
// failure unless it is HTTP 200 with data and no errors: a fast wrong answer must not look like speed.
//   node load.mjs URL TOKEN QUERY REQUESTS CONCURRENCY
import http from 'node:http';

const [url, token, query, requests, concurrency] = process.argv.slice(2);
const total = Number(requests);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrency) });
const body = JSON.stringify({ query });
const target = new URL(url);

function once() {
  return new Promise((resolve) => {
    const req = http.request({
      agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try {
          const reply = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          resolve(res.statusCode === 200 && reply.data && !reply.errors);
        } catch { resolve(false); }
      });
    });
    req.setTimeout(10_000, () => req.destroy());
    req.on('error', () => resolve(false));
    req.end(body);
  });
}

let sent = 0;
let failures = 0;
async function worker() {
  while (sent < total) {
    sent++;
    if (!(await once())) failures++;
  }
}
const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
agent.destroy();
console.log(JSON.stringify({ requests: total, failures, seconds, rps: total / seconds }));
