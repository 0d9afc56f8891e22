import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module of the bench, without types.
import { linkDriver } from '../../bench/driver-link.mjs';

/** A child with an IPC channel, as fork() makes it, running `code`. */
const child = (code: string) => spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

describe('the pipeline bench and its load generator', () => {
  it('gets the answers of a driver that lives', async () => {
    const c = child(`process.send({ ready: true }); process.on('message', (m) => { process.send({ echo: m }); if (m.last) process.disconnect(); });`);
    const driver = linkDriver(c);
    expect(await driver.ready).toEqual({ ready: true });
    expect(await driver.ask({ n: 1 })).toEqual({ echo: { n: 1 } });
    expect(await driver.ask({ n: 2, last: true })).toEqual({ echo: { n: 2, last: true } });
  });

  it('fails, rather than waiting forever, when the driver exits before it is ready (its subscription lost)', async () => {
    const c = child(`console.error('subscription socket closed: 1006'); process.exit(1);`);
    await expect(linkDriver(c).ready).rejects.toThrow('the load generator exited (code 1) before it answered');
  }, 10_000);

  it('fails when the driver exits while a load is asked of it, and on any later ask', async () => {
    const c = child(`process.send({ ready: true }); process.on('message', () => process.exit(1));`);
    const driver = linkDriver(c);
    await driver.ready;
    await expect(driver.ask({ burst: 400 })).rejects.toThrow('exited (code 1)');
    await expect(driver.ask({ burst: 400 })).rejects.toThrow('exited (code 1)');
  }, 10_000);
});
