// The client side of the subscriptions benchmark, in its own process: opens one graphql-ws socket per
// subscription (bare `ws`, graphql-transport-ws), and records, for every update, the time from the event's
// `at` (stamped by the producer) to its arrival here. Driven by the parent over IPC.
import WebSocket from 'ws';

const QUERY = 'subscription($id: ID!) { executionUpdated(id: $id) { event { type at } execution { status } } }';
let sockets = [];
let latencies = [];
let received = 0;

function open(url, token, runId) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
    const timer = setTimeout(() => reject(new Error('no snapshot within 60 s')), 60_000);
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    });
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      // graphql-ws closes a socket that subscribes before its connection_init is acknowledged.
      if (m.type === 'connection_ack') ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: QUERY, variables: { id: runId } } }));
      if (m.type !== 'next') return;
      const ev = m.payload.data?.executionUpdated?.event;
      if (!ev) { reject(new Error(JSON.stringify(m.payload))); return; }
      if (ev.type === 'SNAPSHOT') { clearTimeout(timer); resolve(ws); return; }
      latencies.push(Date.now() - Date.parse(ev.at));
      received++;
    });
    ws.on('error', reject);
    ws.on('close', (code) => reject(new Error(`closed ${code}`)));
  });
}

const pct = (sorted, p) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;

process.on('message', async (msg) => {
  try {
    if (msg.cmd === 'open') {
      const started = Date.now();
      const out = [];
      // A bounded number of handshakes in flight, so opening 10,000 sockets is not a connect storm.
      for (let i = 0; i < msg.subs; i += 200) {
        const batch = [];
        for (let j = i; j < Math.min(msg.subs, i + 200); j++) batch.push(open(msg.url, msg.token, msg.runIds[j % msg.runIds.length]));
        out.push(...(await Promise.all(batch)));
      }
      sockets = out;
      latencies = [];
      received = 0;
      process.send({ ok: 'open', ms: Date.now() - started });
    } else if (msg.cmd === 'drain') {
      const deadline = Date.now() + msg.timeoutMs;
      while (received < msg.expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const sorted = latencies.slice().sort((a, b) => a - b);
      process.send({ ok: 'drain', received, expected: msg.expected, p50: pct(sorted, 50), p90: pct(sorted, 90), p99: pct(sorted, 99), max: sorted.at(-1) });
    } else if (msg.cmd === 'close') {
      for (const ws of sockets) { ws.removeAllListeners('close'); ws.on('error', () => {}); ws.close(1000); }
      sockets = [];
      process.send({ ok: 'close' });
    } else if (msg.cmd === 'exit') {
      process.exit(0);
    }
  } catch (err) {
    process.send({ error: String(err?.stack ?? err) });
  }
});
process.send({ ok: 'ready' });
