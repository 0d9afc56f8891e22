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
    // The tenant cannot set it: told so, not the operator's variable (DELIVERY_SMTP_URL, in the README).
    if (!deps.smtp) throw new TransportError('CONFIG', 'Email delivery is not set up on this platform (it has no SMTP server); its operator can set one up', { permanent: true });
    return nodemailer.createTransport(deps.smtp.url, { connectionTimeout: deps.timeoutMs, greetingTimeout: deps.timeoutMs, socketTimeout: deps.timeoutMs });
  }
  /**
   * The SMTP server is the platform's own, so only its reply (a refused recipient, a message too large) is the
   * tenant's to read. The rest is about reaching it (its host and port, its certificate, a name that does not
   * resolve) and is told in fixed words; the error stays the cause, for the worker's log.
   */
  const smtpFailure = (err: unknown) => {
    const e = err as NodeJS.ErrnoException & { responseCode?: number; response?: string };
    if (e.code === 'EAUTH') return new TransportError('AUTH', 'SMTP server refused the credentials', { cause: err });
    if (e.response) return new TransportError('REMOTE', `SMTP server: ${e.response}`, { cause: err });
    if (e.code === 'ETIMEDOUT') return new TransportError('TIMEOUT', `SMTP server: no answer within ${deps.timeoutMs} ms`, { cause: err });
    if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return new TransportError('REMOTE', 'SMTP server: the mail could not be sent', { cause: err });
    return new TransportError('CONNECT', 'SMTP server: the platform\'s mail server could not be reached', { cause: err });
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
