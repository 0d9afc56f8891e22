/** Where an attempt failed; surfaces in the attempt's error and in testDestination's answer. */
export type FailureStage = 'DNS' | 'SSRF' | 'CONNECT' | 'TLS' | 'AUTH' | 'HOST_KEY' | 'REMOTE' | 'HTTP' | 'TIMEOUT' | 'READ' | 'CONFIG';

/**
 * An attempt's failure as the retry policy needs it: `permanent` ends retries now (a refused address, a
 * 410), `retryAfterMs` is the far side's own Retry-After, `disableDestination` is a webhook's 410 Gone.
 */
export class TransportError extends Error {
  readonly permanent: boolean;
  readonly retryAfterMs: number | undefined;
  readonly disableDestination: boolean;
  constructor(readonly stage: FailureStage, message: string, opts: { permanent?: boolean; retryAfterMs?: number; disableDestination?: boolean } = {}) {
    super(message);
    this.name = 'TransportError';
    this.permanent = opts.permanent ?? false;
    this.retryAfterMs = opts.retryAfterMs;
    this.disableDestination = opts.disableDestination ?? false;
  }
}

/** A failure of any kind as `STAGE: message`, without stack traces or secrets. */
export function describeFailure(err: unknown): string {
  if (err instanceof TransportError) return `${err.stage}: ${err.message}`;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ECONNREFUSED') return `CONNECT: connection refused (${e.message.replace(/^connect /, '')})`;
  if (e?.code === 'ETIMEDOUT' || e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'TIMEOUT: the far side did not answer in time';
  return `REMOTE: ${e?.message ?? String(err)}`;
}
