import type { Logger } from './logger.js';

export type Stoppable = { name: string; stop: () => Promise<void> };

/**
 * Stops components in reverse start order on SIGTERM/SIGINT, with a deadline so a stuck component cannot
 * keep a pod from terminating.
 */
export function onShutdown(logger: Logger, components: Stoppable[], deadlineMs = 20_000): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      const timer = setTimeout(() => { logger.error('shutdown deadline passed, exiting'); process.exit(1); }, deadlineMs);
      timer.unref();
      for (const c of [...components].reverse()) {
        try { await c.stop(); logger.info({ component: c.name }, 'stopped'); }
        catch (err) { logger.error({ err, component: c.name }, 'stop failed'); }
      }
      clearTimeout(timer);
    })();
    return stopping;
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => { logger.info({ signal }, 'shutting down'); void stopAll().then(() => process.exit(0)); });
  }
  return stopAll;
}
