import { connect, createServer } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { reservePort } from '../src/reserve-port.js';

describe('reservePort', () => {
  it('releases the port even when a client connected to it while it was held', async () => {
    const reserved = await reservePort('127.0.0.1', 0);
    const client = connect(reserved.port, '127.0.0.1');
    client.on('error', () => {});
    await once(client, 'connect');
    try {
      const released = await Promise.race([
        reserved.release().then(() => 'released'),
        new Promise((r) => setTimeout(() => r('still held'), 2000).unref()),
      ]);
      expect(released).toBe('released');
      // The real server can then take it.
      const next = createServer();
      await new Promise<void>((resolve, reject) => { next.once('error', reject); next.listen(reserved.port, '127.0.0.1', resolve); });
      await new Promise<void>((resolve) => next.close(() => resolve()));
    } finally {
      client.destroy();
    }
  });

  it('refuses a port another process holds with EADDRINUSE', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const port = (holder.address() as { port: number }).port;
      await expect(reservePort('127.0.0.1', port)).rejects.toMatchObject({ code: 'EADDRINUSE', syscall: 'listen', port });
    } finally {
      holder.close();
    }
  });
});
