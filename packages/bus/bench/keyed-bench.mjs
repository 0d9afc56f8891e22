/**
 * npm run bench -- keyed [--rounds N] [--dist DIR ...]: the keyed subscriber (`ordering: 'key'`, what engine
 * workers consume requests with) on a real broker, in two shapes of load, each in a consumer process of its own:
 * - steady: 100 messages/s published 3 at a time (about what the outbox relay sends at 100 runs/s), a 100 ms
 *   handler, 16 at once, for 15 s;
 * - long: 16 messages at once, each handled for 7 s (long runs in flight, nothing new arriving).
 * Prints the CPU of the consumer process and of the broker (the broker's includes the publishes and its idle
 * work, the same for every build): per message for the steady load, per second for the long one. Rounds interleave the builds given with --dist (default: this package's dist), so
 * a slow spell of a shared machine falls on all of them; each figure is the median round. Compare two builds
 * by giving both dists (for example a checkout of the base commit, built).
 * Kafka: KAFKA_BROKERS with BROKER_PID (to read its CPU), else the local JVM broker started here.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const args = process.argv.slice(2);
const option = (name) => args.flatMap((a, i) => (a === `--${name}` ? [args[i + 1]] : []));
const SHAPES = {
  steady: { rate: 100, per: 3, seconds: 15, handlerMs: 100, total: 1_400 },
  long: { rate: 16, per: 16, seconds: 8, handlerMs: 7_000, total: 16 },
};

if (args[0] === '--child') await consumer(...args.slice(1));
else await main();

/** The consumer process: subscribes, says ready, then reports its CPU over `seconds`. */
async function consumer(dist, brokers, prefix, shapeName) {
  const shape = SHAPES[shapeName];
  const { createKafkaBus } = await import(pathToFileURL(join(dist, 'index.js')).href);
  const bus = createKafkaBus({ brokers: brokers.split(','), clientId: 'keyed-bench', topicPrefix: prefix });
  let handled = 0;
  const sub = await bus.subscribe({
    topics: ['runs'], groupId: `g-${randomUUID()}`, ordering: 'key', concurrency: 16, commitIntervalMs: 500,
    handler: async () => { await new Promise((r) => setTimeout(r, shape.handlerMs)); handled++; },
  });
  await sub.ready;
  process.send('ready');
  const c0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, shape.seconds * 1000));
  const c = process.cpuUsage(c0);
  process.send({ handled, cpuMs: (c.user + c.system) / 1000 });
  await sub.stop();
  await bus.close();
  process.exit(0);
}

async function main() {
  const rounds = Number(option('rounds')[0] ?? 3);
  const dists = option('dist').length ? option('dist').map((d) => resolve(d)) : [resolve(here, '../dist')];
  const { createKafkaBus } = await import(pathToFileURL(resolve(here, '../dist/index.js')).href);
  let brokers = process.env.KAFKA_BROKERS?.split(',');
  let brokerPid = Number(process.env.BROKER_PID) || undefined;
  let stopBroker = async () => {};
  if (!brokers) {
    const { findJava, provision } = await import(pathToFileURL(join(repo, 'scripts/kafka/provision.mjs')).href);
    const { startBroker } = await import(pathToFileURL(join(repo, 'scripts/kafka/server.mjs')).href);
    const server = await startBroker({ java: findJava(), libs: provision() });
    ({ brokers } = server);
    brokerPid = server.pid;
    stopBroker = () => server.stop();
  }
  const ticks = (pid) => {
    if (!pid) return NaN;
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  };
  const results = new Map();
  for (let round = 0; round < rounds; round++) {
    for (const [shapeName, shape] of Object.entries(SHAPES)) {
      for (const dist of dists) {
        const prefix = `keyed-bench-${randomUUID().slice(0, 8)}.`;
        const bus = createKafkaBus({ brokers, clientId: 'keyed-bench-publisher', topicPrefix: prefix });
        await bus.ensureTopics([{ name: 'runs', partitions: 6 }]);
        const child = fork(fileURLToPath(import.meta.url), ['--child', dist, brokers.join(','), prefix, shapeName], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        await new Promise((r) => child.once('message', r));
        const report = new Promise((r) => child.once('message', r));
        const b0 = ticks(brokerPid);
        const t0 = performance.now();
        for (let i = 0; i < shape.total && performance.now() - t0 < (shape.seconds - 1) * 1000; i += shape.per) {
          const wait = t0 + (i * 1000) / shape.rate - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          await bus.publish('runs', Array.from({ length: shape.per }, () => ({ key: randomUUID(), value: new Uint8Array(120) })));
        }
        const { handled, cpuMs } = await report;
        const brokerMs = ticks(brokerPid) - b0;
        await new Promise((r) => child.once('exit', r));
        await bus.close();
        const key = `${shapeName}\u0000${dist}`;
        // Per message while messages flow; per second while they are only in flight.
        const per = shapeName === 'steady' ? handled : shape.seconds;
        results.set(key, [...(results.get(key) ?? []), { handled, consumer: cpuMs / per, broker: brokerMs / per }]);
        console.error(`round ${round + 1} ${shapeName} ${dist}: ${handled} handled, consumer ${(cpuMs / per).toFixed(2)} / broker ${(brokerMs / per).toFixed(2)} CPU ms per ${shapeName === 'steady' ? 'message' : 'second'}`);
      }
    }
  }
  await stopBroker();
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`\nkeyed subscriber (16 at once), median of ${rounds} rounds: CPU ms of the consumer process and the broker, per message (steady) or per second (long)`);
  console.log('| load | build | handled | consumer | broker |');
  console.log('|---|---|---|---|---|');
  for (const shapeName of Object.keys(SHAPES)) {
    const shape = SHAPES[shapeName];
    const label = shapeName === 'steady' ? `${shape.rate}/s in threes, ${shape.handlerMs} ms each` : `${shape.per} at once, ${shape.handlerMs / 1000} s each`;
    for (const dist of dists) {
      const rs = results.get(`${shapeName}\u0000${dist}`);
      console.log(`| ${label} | ${dist} | ${median(rs.map((r) => r.handled))} | ${median(rs.map((r) => r.consumer)).toFixed(2)} | ${median(rs.map((r) => r.broker)).toFixed(2)} |`);
    }
  }
}
