import type { DestinationKind } from '../store/entities.js';
import type { Resolve } from './connect-guard.js';
import { createEmailTransport, type SmtpSettings } from './email.js';
import { TransportError } from './errors.js';
import { createFtpTransport } from './ftp.js';
import { createSftpTransport } from './sftp.js';
import type { Transport } from './types.js';
import { createWebhookTransport } from './webhook.js';

export type TransportOptions = {
  resolve: Resolve;
  timeoutMs?: number;
  smtp?: SmtpSettings;
  /** PEM of an extra certificate authority for webhooks and FTPS: tests trust their own CA this way. */
  extraCa?: string;
};

/** The transport for each kind; S3 is refused until its transport exists. */
export function createTransports(opts: TransportOptions): Record<DestinationKind, Transport> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const unsupported: Transport = {
    send: async () => { throw new TransportError('CONFIG', 'S3 delivery is not available yet', { permanent: true }); },
    probe: async () => { throw new TransportError('CONFIG', 'S3 delivery is not available yet', { permanent: true }); },
  };
  return {
    WEBHOOK: createWebhookTransport({ resolve: opts.resolve, timeoutMs, extraCa: opts.extraCa }),
    SFTP: createSftpTransport({ resolve: opts.resolve, timeoutMs }),
    FTP: createFtpTransport({ resolve: opts.resolve, timeoutMs, extraCa: opts.extraCa }),
    EMAIL: createEmailTransport({ smtp: opts.smtp, timeoutMs }),
    S3: unsupported,
  };
}
