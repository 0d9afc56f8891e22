// Runs one S3Proxy on 127.0.0.1 with a filesystem backend in a fresh temporary folder.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const REGION = 'us-east-1';

/**
 * Starts S3Proxy and resolves once it answers HTTP (an unsigned request gets 403, which proves it is up);
 * `stop()` ends the JVM and deletes its folder.
 */
export async function startS3Proxy({ java, jar, heap = '384m', startTimeoutMs = 90_000 }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'rowline-s3-'));
  const data = path.join(dir, 'data');
  mkdirSync(data);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKeyId = `rowline-${randomBytes(4).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const config = path.join(dir, 's3proxy.properties');
  writeFileSync(config, [
    's3proxy.authorization=aws-v2-or-v4',
    `s3proxy.endpoint=${endpoint}`,
    `s3proxy.identity=${accessKeyId}`,
    `s3proxy.credential=${secretAccessKey}`,
    'jclouds.provider=filesystem-nio2',
    // The filesystem backend ignores these, yet S3Proxy refuses to start without them.
    `jclouds.identity=${accessKeyId}`,
    `jclouds.credential=${secretAccessKey}`,
    `jclouds.filesystem.basedir=${data}`,
    '',
  ].join('\n'));
  const child = spawn(java, [`-Xmx${heap}`, '-XX:+ExitOnOutOfMemoryError', '-XX:TieredStopAtLevel=1', '-jar', jar, '--properties', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  let output = '';
  const keep = (chunk) => (output = (output + chunk).slice(-4_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (await answers(endpoint)) break;
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`S3Proxy did not start (exit ${child.exitCode ?? child.signalCode ?? 'timeout'}):\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { endpoint, region: REGION, accessKeyId, secretAccessKey, dir, pid: child.pid, exited, stop };
}

async function answers(endpoint) {
  try {
    const res = await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
