/**
 * Where an attempt failed; surfaces in the attempt's error and in testDestination's answer. INTERNAL: a part of
 * the platform's own (its database, a bug), not the destination nor the artifact.
 */
export type FailureStage = 'DNS' | 'SSRF' | 'CONNECT' | 'TLS' | 'AUTH' | 'HOST_KEY' | 'REMOTE' | 'HTTP' | 'TIMEOUT' | 'READ' | 'CONFIG' | 'INTERNAL';

/**
 * An attempt's failure as the retry policy needs it: `permanent` ends retries now (a refused address, a
 * 410), `retryAfterMs` is the far side's own Retry-After, `disableDestination` is a webhook's 410 Gone.
 * `cause`: the error it tells of, for the worker's log only.
 */
export class TransportError extends Error {
  readonly permanent: boolean;
  readonly retryAfterMs: number | undefined;
  readonly disableDestination: boolean;
  constructor(readonly stage: FailureStage, message: string, opts: { permanent?: boolean; retryAfterMs?: number; disableDestination?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TransportError';
    this.permanent = opts.permanent ?? false;
    this.retryAfterMs = opts.retryAfterMs;
    this.disableDestination = opts.disableDestination ?? false;
  }
}

/**
 * A failure as users read it: an attempt's `error` and a delivery's `lastError` (on the partner schema too), and
 * testDestination's answer. The rule: only a TransportError's message is shown. It is made where the failure is
 * met, and says what the tenant's destination answered or what talking to it found: its host as the tenant
 * configured it, its address, its reply (an SFTP or FTP server's refusal, an SMTP reply, an HTTP status), which
 * are the tenant's own. A part of the platform's own (the files service, storage, the platform's SMTP server's
 * connection, the database) is told in fixed words where it is called, its error the TransportError's cause;
 * anything else (a bug) is INTERNAL here. Their own messages (a path, a storage key, an internal host and port, a
 * SQL error) stay in the worker's log.
 */
export function asTransportError(err: unknown): TransportError {
  return err instanceof TransportError ? err : new TransportError('INTERNAL', INTERNAL_ERROR, { cause: err });
}

/** What users read of a failure of the platform's own that has no words of its own (a bug). */
export const INTERNAL_ERROR = 'an internal error occurred';

/** A failure of any kind as `STAGE: message` (see asTransportError). */
export function describeFailure(err: unknown): string {
  const failure = asTransportError(err);
  return `${failure.stage}: ${failure.message}`;
}
