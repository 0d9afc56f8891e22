import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * Routes kafkajs's own logs into pino. kafkajs reports protocol errors it retries by itself (a coordinator
 * still loading, a rebalance) at error level; they are warnings here, because the bus logs the failures
 * that really reach it (a crashed consumer, a failed publish) as errors of its own.
 */
export function kafkajsLogCreator(logger: Logger): logCreator {
  return () => ({ namespace, level, log }) => {
    const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
    const entry = { kafkajs: namespace, ...fields };
    if (level <= logLevel.WARN) logger.warn(entry, message);
    else if (level === logLevel.INFO) logger.debug(entry, message);
    else logger.trace(entry, message);
  };
}

/** Only ask kafkajs for the levels pino will keep: building its info and debug entries is not free. */
export function kafkajsLevel(logger: Logger): logLevel {
  if (logger.isLevelEnabled('trace')) return logLevel.DEBUG;
  if (logger.isLevelEnabled('debug')) return logLevel.INFO;
  return logLevel.WARN;
}
