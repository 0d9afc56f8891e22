import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
// The local JVM broker of packages/testing (scripts/kafka), started here for this file alone: it is restarted.
import { findJava, provision } from '../../../../scripts/kafka/provision.mjs';
import { startBroker } from '../../../../scripts/kafka/server.mjs';
import { startFaultScene, type FaultScene } from './support/scene.js';

vi.setConfig({ testTimeout: 240_000 });

let broker: { brokers: string[]; stop(): Promise<void>; restart(): Promise<void> };
let s: FaultScene;

beforeAll(async () => {
  broker = await startBroker({ java: findJava(), libs: provision() });
  s = await startFaultScene({ brokers: broker.brokers });
}, 300_000);
afterAll(async () => {
  await s?.stop();
  await broker?.stop();
});

describe('the Kafka broker restarted while a worker is mid-run', () => {
  it('loses no run and ends each once, with one artifact set and its events in order', async () => {
    const w = await s.worker({ fault: 'after-claim', env: { ROWLINE_FAULT_PAUSE_MS: '2000' } });
    const ids = [await s.submit(), await s.submit(), await s.submit()];
    expect(ids).toContain((await w.fault).executionId);
    await broker.restart();
    // Runs accepted while the broker came back wait in the outbox and are published once it answers.
    for (let i = 0; i < 2; i++) await s.submit();
    await s.checker.verify();
  });
});
