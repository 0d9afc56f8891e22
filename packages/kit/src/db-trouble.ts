/**
 * What kind of trouble a failed database call had, when it is the database's reach or load rather than the
 * statement: `unavailable` (no connection, or the one in use was lost) or `busy` (the server gave way to other
 * work: a serialization failure, a deadlock, a lock or statement timeout, no connection slot left). Anything
 * else (a constraint violation, a syntax or schema error, a bug above the driver) is `undefined`: no retry
 * cures it by itself, and saying "the database was unavailable" of it sends an operator looking at the network.
 *
 * Looked for in the error and its causes, five deep, as pg, kysely and MikroORM make them: MikroORM's
 * DriverException copies the driver error's `code` (a SQLSTATE, or Node's socket code) and message.
 */
export type DatabaseTrouble = 'unavailable' | 'busy';

/** Node's socket and name-resolution codes: the server could not be reached, or the connection broke. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH',
  'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL',
]);

/**
 * SQLSTATEs of a session that ended or could not start: admin_shutdown (57P01, pg_terminate_backend or a
 * shutdown), crash_shutdown (57P02), cannot_connect_now (57P03, starting or in recovery), and the
 * idle-in-transaction timeout (25P03); all of class 08 (connection exception) besides.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '25P03']);

/**
 * SQLSTATEs of a statement that gave way to others: serialization_failure (40001), deadlock_detected (40P01),
 * lock_not_available (55P03, lock_timeout), query_canceled (57014, statement_timeout), too_many_connections (53300).
 */
const BUSY_STATES = new Set(['40001', '40P01', '55P03', '57014', '53300']);

/**
 * pg's and pg-pool's own errors, which carry no code: a connection closed under a query, a connect that timed
 * out, a pool that waited past its connection timeout, a client left unusable by an earlier connection error.
 */
const PG_CONNECTION_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable)/;

export function databaseTrouble(err: unknown): DatabaseTrouble | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (SOCKET_CODES.has(code) || UNAVAILABLE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return 'unavailable';
      if (BUSY_STATES.has(code)) return 'busy';
    }
    if (PG_CONNECTION_MESSAGE.test(e.message)) return 'unavailable';
  }
  return undefined;
}

/**
 * What users read of a database call's failure, in fixed words (never the error's own message, which names
 * tables, constraints, hosts and ports): "the database was unavailable" or "the database was busy", or undefined
 * for any other error of it, which each service tells as its internal error.
 */
export function databaseTroubleText(err: unknown): string | undefined {
  const trouble = databaseTrouble(err);
  return trouble === undefined ? undefined : TROUBLE_TEXT[trouble];
}

const TROUBLE_TEXT: Record<DatabaseTrouble, string> = { unavailable: 'the database was unavailable', busy: 'the database was busy' };
