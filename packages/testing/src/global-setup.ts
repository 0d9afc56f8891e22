import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { PROVIDED_KEY, type ProvidedServers } from './provided.js';
import { startControlServer } from './servers/control-server.js';
import { createServerPool } from './servers/server-pool.js';

type Shared = { provided: Promise<ProvidedServers>; users: number; stop(): Promise<void> };

/**
 * Every vitest project loads this globalSetup in the same main process; they share one set of servers
 * through this process-wide slot (the one global here, and on purpose: "one server per run").
 */
const SLOT = Symbol.for('rowline.testing.servers');
const registry = globalThis as { [SLOT]?: Shared };

const log = (line: string) => process.stderr.write(`[rowline/testing] ${line}\n`);

function acquire(): Shared {
  const existing = registry[SLOT];
  if (existing) {
    existing.users++;
    return existing;
  }
  const runId = randomBytes(4).readUInt32BE().toString(36);
  const pool = createServerPool({ runId, log });
  const control = startControlServer(pool);
  const shared: Shared = {
    users: 1,
    provided: control.then(({ url }) => ({ controlUrl: url, runId })),
    async stop() {
      await (await control).close();
      await pool.stop();
    },
  };
  registry[SLOT] = shared;
  return shared;
}

/**
 * Vitest globalSetup (`test.globalSetup` in vitest.config.ts). Starts nothing by itself: PostgreSQL and
 * Kafka start when a test file first asks for them (`createTestDatabase`, `kafkaServer`), once per run,
 * and stop at teardown.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = acquire();
  project.provide(PROVIDED_KEY, await shared.provided);
  return async () => {
    if (--shared.users > 0) return;
    delete registry[SLOT];
    await shared.stop();
  };
}
