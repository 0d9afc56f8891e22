import type { DestinationKind } from '../store/entities.js';
import type { Resolve } from './connect-guard.js';
import { createEmailTransport, type SmtpSettings } from './email.js';
import { createFtpTransport } from './ftp.js';
import { createS3Transport } from './s3.js';
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

/** The transport for each kind. */
export function createTransports(opts: TransportOptions): Record<DestinationKind, Transport> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return {
    WEBHOOK: createWebhookTransport({ resolve: opts.resolve, timeoutMs, extraCa: opts.extraCa }),
    SFTP: createSftpTransport({ resolve: opts.resolve, timeoutMs }),
    FTP: createFtpTransport({ resolve: opts.resolve, timeoutMs, extraCa: opts.extraCa }),
    EMAIL: createEmailTransport({ smtp: opts.smtp, timeoutMs }),
    S3: createS3Transport({ resolve: opts.resolve, timeoutMs, extraCa: opts.extraCa }),
  };
}
