import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths redacted from every log line, whatever the caller logs. */
const REDACT = [
  'password', '*.password', 'secret', '*.secret', 'token', '*.token', 'accessToken', '*.accessToken',
  'refreshToken', '*.refreshToken', 'authorization', '*.authorization', 'req.headers.authorization',
  'req.headers.cookie', 'headers.authorization', '*.privateKey', '*.secretAccessKey',
];

export function createLogger(opts: { service: string; level?: string; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: opts.service },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination as pino.DestinationStream | undefined,
  );
}
