import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths redacted from every log line, whatever the caller logs. */
const REDACT = [
  'password', '*.password', 'secret', '*.secret', 'token', '*.token', 'accessToken', '*.accessToken',
  'refreshToken', '*.refreshToken', 'authorization', '*.authorization', 'req.headers.authorization',
  'req.headers.cookie', 'headers.authorization', '*.privateKey', '*.secretAccessKey',
];

const SERVICE = Symbol('rowline.logger.service');
type Tagged = Logger & { [SERVICE]?: string };

/**
 * A pino logger whose lines carry one `service` key. pino writes a child's bindings after its parent's
 * without merging them, so `child({ service })` of a logger with a `service` (the embedded mode's
 * `rowline` root and its `files`, `auth`, ... children) would write the key twice, which JSON readers
 * resolve differently. Here `service` is not a binding: `child` keeps it aside on the child (children
 * inherit it through pino's prototype chain) and every line gets the nearest one, the most specific.
 */
export function createLogger(opts: { service: string; level?: string; destination?: NodeJS.WritableStream }): Logger {
  const logger: Tagged = pino(
    {
      level: opts.level ?? 'info',
      base: {},
      // A `service` the call itself passes still wins (pino's default merge: the call's object over the mixin's).
      mixin: (_obj, _level, self) => ({ service: (self as Tagged)[SERVICE] }),
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination as pino.DestinationStream | undefined,
  );
  logger[SERVICE] = opts.service;
  const child = logger.child as (this: Tagged, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => unknown;
  // Assigned on the root, so every descendant (created with Object.create of its parent) finds it too.
  logger.child = function (this: Tagged, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) {
    const { service, ...rest } = bindings;
    const made = child.call(this, rest, options) as unknown as Tagged;
    if (typeof service === 'string') made[SERVICE] = service;
    return made;
  } as unknown as Logger['child'];
  return logger;
}
