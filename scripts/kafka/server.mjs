// Runs Apache Kafka in KRaft mode on 127.0.0.1: one broker that is its own controller (one JVM), or a small
// cluster of such a node and brokers beside it, each broker leading partitions of its own.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const LOG4J = path.join(path.dirname(fileURLToPath(import.meta.url)), 'log4j.properties');
const READY_LINE = 'Kafka Server started';

/**
 * Settings for a throwaway node: one replica of everything, no waiting, no auto-created topics. Node 1 is
 * the controller as well (`controllerPort`); the other nodes of a cluster are brokers that vote nowhere.
 */
function serverProperties({ nodeId = 1, port, controllerPort, dataDir }) {
  const controller = nodeId === 1;
  return [
    `process.roles=${controller ? 'broker,controller' : 'broker'}`,
    `node.id=${nodeId}`,
    `listeners=PLAINTEXT://127.0.0.1:${port}${controller ? `,CONTROLLER://127.0.0.1:${controllerPort}` : ''}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `log.dirs=${dataDir}`,
    'auto.create.topics.enable=false',
    'num.partitions=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=5',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=5',
    'group.initial.rebalance.delay.ms=0',
    'num.io.threads=2',
    'num.network.threads=2',
    'log.retention.hours=1',
    '',
  ].join('\n');
}

/**
 * Formats a fresh log directory and starts the broker. Resolves once it logs that it has started;
 * `stop()` ends the JVM and deletes its directory.
 */
export async function startBroker({ java, libs, heap = '512m', startTimeoutMs = 90_000 }) {
  const [port, controllerPort] = await freePorts(2);
  const node = await startNode({ java, libs, heap, startTimeoutMs, clusterId: newClusterId(), nodeId: 1, port, controllerPort });
  return { brokers: node.brokers, dir: node.dir, logFile: node.logFile, pid: node.pid, exited: node.exited, stop: node.stop, restart: node.restart };
}

/**
 * A cluster of `size` nodes on 127.0.0.1, each a JVM: node 1 is a broker and the controller, the others are
 * brokers. A topic's partitions then lead on different brokers, so a consumer fetches from several at
 * once (kafkajs runs one fetch loop per broker), which one broker never shows. Node 1 is formatted by
 * Kafka's storage tool; the brokers' directories need only their identity (meta.properties), written here
 * so that a cluster costs no more JVM starts than it has nodes. The nodes start together; resolves once
 * every one has started. `exited` resolves when any node exits; `stop()` ends them all.
 */
export async function startCluster({ java, libs, size = 2, heap = '256m', startTimeoutMs = 90_000 }) {
  if (!Number.isInteger(size) || size < 1) throw new Error(`a cluster has at least one node (asked for ${size})`);
  const [controllerPort, ...ports] = await freePorts(size + 1);
  const clusterId = newClusterId();
  const settled = await Promise.allSettled(ports.map((port, i) =>
    startNode({ java, libs, heap, startTimeoutMs, clusterId, nodeId: i + 1, port, controllerPort })));
  const nodes = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value);
  const failed = settled.find((s) => s.status === 'rejected');
  const stop = async () => void (await Promise.all(nodes.map((n) => n.stop())));
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return {
    brokers: nodes.flatMap((n) => n.brokers),
    dir: nodes[0].dir,
    logFile: nodes[0].logFile,
    pid: nodes[0].pid,
    exited: Promise.race(nodes.map((n) => n.exited)),
    stop,
  };
}

function newClusterId() {
  // Kafka's own random ids never start with '-': the storage tool would read such an id as an option.
  let id;
  do id = randomBytes(16).toString('base64url');
  while (id.startsWith('-'));
  return id;
}

async function startNode({ java, libs, heap, startTimeoutMs, clusterId, nodeId, port, controllerPort }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'rowline-kafka-'));
  const config = path.join(dir, 'server.properties');
  const dataDir = path.join(dir, 'data');
  writeFileSync(config, serverProperties({ nodeId, port, controllerPort, dataDir }));
  const jvm = [
    `-Xms128m`, `-Xmx${heap}`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:+ExitOnOutOfMemoryError',
    // The quick-start (C1) compiler only. With C2 as well, this broker kept compiling for as long as a test
    // run or a benchmark lasts: 2-7 CPU ms per pipeline run, more than the broker's own work, taken from the
    // two cores everything else shares. C1 code costs more once warm; a broker meant to run for days should
    // not use this (executions README, Benchmark). ROWLINE_KAFKA_JVM_OPTS come after: `-XX:TieredStopAtLevel=4`
    // puts C2 back.
    '-XX:TieredStopAtLevel=1',
    ...(process.env.ROWLINE_KAFKA_JVM_OPTS ?? '').split(/\s+/).filter(Boolean),
    '-Djava.awt.headless=true', `-Dlog4j.configuration=file:${LOG4J}`, `-Dkafka.logs.dir=${dir}`,
    '-cp', path.join(libs, '*'),
  ];
  if (nodeId === 1) {
    const format = spawnSync(java, [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config], { encoding: 'utf8' });
    if (format.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`formatting the Kafka log directory failed:\n${format.stdout}${format.stderr}`);
    }
  } else {
    // What the storage tool writes for a broker that is no controller: the cluster, the node and its log directory.
    mkdirSync(dataDir);
    writeFileSync(path.join(dataDir, 'meta.properties'),
      `version=1\ncluster.id=${clusterId}\nnode.id=${nodeId}\ndirectory.id=${randomBytes(16).toString('base64url')}\n`);
  }
  let child;
  let exited;
  let stderr = '';
  const launch = () => {
    child = spawn(java, [...jvm, 'kafka.Kafka', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4_000)));
    exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  };
  launch();

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const serverLog = path.join(dir, 'server.log');
  const starts = () => (existsSync(serverLog) ? readFileSync(serverLog, 'utf8').split(READY_LINE).length - 1 : 0);
  await waitUntilStarted(1);
  // Tests of a broker outage: the same broker (port, data) goes down and comes back, as after a crash or an
  // upgrade; `downMs`, how long it stays down (an outage longer than the clients' retries crashes kafkajs's consumers).
  const restart = async ({ downMs = 0 } = {}) => {
    const before = starts();
    child.kill('SIGTERM');
    await exited;
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    launch();
    await waitUntilStarted(before + 1);
  };
  return { brokers: [`127.0.0.1:${port}`], dir, logFile: serverLog, pid: child.pid, get exited() { return exited; }, stop, restart };

  async function waitUntilStarted(count) {
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (starts() >= count) break;
      const failed = child.exitCode !== null || child.signalCode !== null || Date.now() > deadline;
      if (failed) {
        const log = existsSync(serverLog) ? readFileSync(serverLog, 'utf8').slice(-4_000) : '';
        await stop();
        throw new Error(`the Kafka broker (node ${nodeId}) did not start (exit ${child.exitCode ?? child.signalCode ?? 'timeout'}):\n${log}${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function freePorts(count) {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
