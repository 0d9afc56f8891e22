import nodemailer from 'nodemailer';
import { TransportError } from './errors.js';
import type { Transport } from './types.js';

export type SmtpSettings = { url: string; from: string };

/**
 * Email goes through the platform's own SMTP server (its configuration, not the tenant's), so there is no
 * tenant-supplied host to guard. The Message-ID derives from the idempotency key, so a mail delivered
 * twice (an attempt that timed out after the server took it) can be recognised as one.
 */
export function createEmailTransport(deps: { smtp: SmtpSettings | undefined; timeoutMs: number }): Transport {
  function mailer() {
    if (!deps.smtp) throw new TransportError('CONFIG', 'No SMTP server is configured (DELIVERY_SMTP_URL)', { permanent: true });
    return nodemailer.createTransport(deps.smtp.url, { connectionTimeout: deps.timeoutMs, greetingTimeout: deps.timeoutMs, socketTimeout: deps.timeoutMs });
  }
  const smtpFailure = (err: unknown) => {
    const e = err as NodeJS.ErrnoException & { responseCode?: number; response?: string };
    if (e.code === 'ECONNREFUSED' || e.code === 'ESOCKET') return new TransportError('CONNECT', `SMTP server: ${e.message}`);
    if (e.code === 'EAUTH') return new TransportError('AUTH', 'SMTP server refused the credentials');
    return new TransportError('REMOTE', `SMTP server: ${e.response ?? e.message}`);
  };

  return {
    async send(destination, shipment) {
      const transport = mailer();
      const { artifact } = shipment;
      const attach = destination.config.attach !== false;
      if (!attach && !artifact.downloadUrl) throw new TransportError('REMOTE', `no download link is available for ${artifact.name}`);
      try {
        await transport.sendMail({
          from: deps.smtp!.from,
          to: destination.config.to as string[],
          subject: String(destination.config.subject),
          messageId: `<${shipment.idempotencyKey}@rowline.delivery>`,
          text: attach
            ? `${shipment.fileName} (${artifact.size} bytes, sha256 ${artifact.sha256}) is attached.`
            : `${shipment.fileName} (${artifact.size} bytes, sha256 ${artifact.sha256}) can be downloaded here:\n${artifact.downloadUrl}`,
          attachments: attach ? [{ filename: shipment.fileName, content: await shipment.open(), contentType: artifact.contentType }] : [],
        });
      } catch (err) {
        throw err instanceof TransportError ? err : smtpFailure(err);
      } finally {
        transport.close();
      }
    },
    async probe() {
      const transport = mailer();
      try {
        await transport.verify();
      } catch (err) {
        throw smtpFailure(err);
      } finally {
        transport.close();
      }
    },
  };
}
