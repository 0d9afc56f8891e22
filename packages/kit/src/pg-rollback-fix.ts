import { PostgresDriver } from 'kysely';

/**
 * Kysely 0.29.6 (MikroORM 7's query layer) leaks a pooled connection whose transaction fails on a dead
 * connection. Its ControlledTransaction releases the connection only after `rollback` succeeded, and a
 * ROLLBACK on a connection PostgreSQL has closed (a server restart, `idle_in_transaction_session_timeout`,
 * `pg_terminate_backend`) always fails. The pg client then stays checked out for good: every such failure
 * takes one slot from the pool until it has none (requests hang waiting for a connection), and closing the
 * pool waits for it forever. Upstream: kysely-org/kysely issue 1990, open.
 *
 * The fix lets a ROLLBACK that failed for want of a connection count as done: kysely then releases the
 * client, and pg-pool drops it rather than reuse it, since it is no longer queryable. A ROLLBACK that a
 * live server refused (a SQLSTATE other than a lost connection's) still fails as before.
 */
let applied = false;

export function fixRollbackOnDeadConnections(): void {
  if (applied) return;
  applied = true;
  const rollback = PostgresDriver.prototype.rollbackTransaction;
  PostgresDriver.prototype.rollbackTransaction = async function rollbackTransaction(this: PostgresDriver, connection) {
    try {
      await rollback.call(this, connection);
    } catch (err) {
      if (!connectionLost(err)) throw err;
      // The connection is gone, and with it the transaction: PostgreSQL rolled it back when the session ended.
    }
  };
}

/**
 * Whether the error means the session is gone: pg's own errors (no SQLSTATE, or a socket code such as
 * ECONNRESET), a connection exception (class 08), an operator's shutdown or termination (class 57), or the
 * idle-in-transaction timeout (25P03).
 */
function connectionLost(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return code.startsWith('08') || code.startsWith('57') || code === '25P03';
}
