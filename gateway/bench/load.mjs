// One bounded load run, in its own process so the load generator does not share an event loop with the
// servers: `node load.mjs <json>` with {url, headers, body, seconds, connections}; prints autocannon's figures.
import autocannon from 'autocannon';

const { url, headers, body, seconds, connections } = JSON.parse(process.argv[2]);
const result = await autocannon({ url, method: 'POST', headers, body, duration: seconds, connections, timeout: 10 });
const bad = result.non2xx + result.errors + result.timeouts;
process.stdout.write(`${JSON.stringify({ rps: result.requests.average, p99: result.latency.p99, total: result.requests.total, bad })}\n`);
