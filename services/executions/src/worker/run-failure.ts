import { EngineError } from '@rowline/engine';
import { databaseTroubleText } from '@rowline/kit';
import { causeOfType, StorageError } from '@rowline/storage';

/**
 * What a run's users read when it fails for a reason that is not the workflow's own. Its log lines (`Attempt N
 * failed: ...`), its error (`The run failed N times: ...`) and its `failed` event reach the tenant's users
 * through the API, so they say what failed in their terms, and nothing else.
 *
 * The rule: users read text written for them, never an error's own message. The engine's errors are written
 * for them (a missing column, a file it cannot parse), except an INTERNAL one, which quotes whatever the engine
 * did not expect. Every other failure is told by a RunFault, made where the worker calls what failed (storage,
 * the files service, the database, the local disk), whose message says which of them failed and, where users
 * know it by a name, which file or artifact; anything else is "an internal error". The error of Postgres, Node
 * or a client library stays the RunFault's cause, for the worker's own log (which logs `err` with its causes):
 * it may name tables and constraints, hosts and ports, paths, buckets and storage keys, which say how the
 * platform is built and are no user's business.
 */
export class RunFault extends Error {
  override name = 'RunFault';
}

/** What users read of a failure nobody told them of: a bug, or a call the worker does not mark. */
export const INTERNAL_ERROR = 'an internal error occurred';

/**
 * The run's store (Postgres) failed within an attempt: the claim's lease, the outcome's write. Told by the kind of
 * trouble (kit's databaseTroubleText): the database was unavailable (no connection, or it was lost), or busy (a
 * deadlock, a serialization failure, a timeout); any other error of it (a constraint violation, a schema that does
 * not match) is the platform's own bug, "an internal error" (before 2026-12-01 it too read "the database was
 * unavailable"). Each is worth another attempt, as before.
 */
export const databaseFault = (cause: unknown) => new RunFault(databaseTroubleText(cause) ?? INTERNAL_ERROR, { cause });

/** Registering the run's artifacts with the files service failed: it is away, timed out, or answered an error. */
export const filesServiceFault = (cause: unknown) => new RunFault('the files service did not register the run\'s artifacts', { cause });

/** Storage did not keep an artifact (a disk or S3 error, before the first byte or at the end). */
export const artifactNotStored = (name: string, cause: unknown) => new RunFault(`the artifact ${JSON.stringify(name)} could not be stored`, { cause });

/** The engine's temporary files (a spooled workbook, a sort's runs) on the worker's own disk failed. */
export const temporaryFileFault = (cause: unknown) => new RunFault('a temporary file of the run could not be written or read', { cause });

/**
 * Storage could not give one of the run's files (the input, or one given under a key). Its message names the
 * file as users know it (`file`: which one, by id and key) and says why, never the storage key nor storage's own
 * message (a path, a bucket, a host).
 *
 * `gone`: storage answered that the object is not there (its StorageError NOT_FOUND: ENOENT on local disk, 404
 * from S3). Every file of a run was READY when the run was accepted, and storage is read-after-write consistent
 * (a local disk; S3 since 2020), so a missing object was deleted since (deleteFile, the files service's
 * expiry): no attempt brings it back, and the run fails at once. Anything else (a refused connection, a
 * timeout, a 5xx, a disk error) may pass, and is worth another attempt.
 */
export class FileUnavailable extends RunFault {
  readonly gone: boolean;
  constructor(file: string, cause: unknown) {
    const gone = cause instanceof StorageError && cause.code === 'NOT_FOUND';
    super(gone ? `${file} is no longer in storage: it was deleted or expired after the run was accepted` : `${file} could not be read from storage`, { cause });
    this.gone = gone;
  }
}

/**
 * The text of an attempt's failure that is not the workflow's own, for `Attempt N failed: <text>` and `The run
 * failed N times: <text>`: the RunFault's message, found in the error's causes (the engine keeps what a stream or
 * `open` threw as its own error's cause). Where the engine's error is directly about a file storage could not give,
 * its words are kept: they name the file as the user uploaded it (`cannot read sales.csv: the input (<id>) could
 * not be read from storage`).
 */
export function failureText(err: unknown): string {
  const fault = causeOfType(err, RunFault);
  if (!fault) return INTERNAL_ERROR;
  return fault instanceof FileUnavailable && err instanceof EngineError && err.cause === fault ? err.message : fault.message;
}

/** The text of a workflow's own error (the run fails at once): the engine's, unless it is the engine's INTERNAL. */
export const workflowErrorText = (err: EngineError) => (err.code === 'INTERNAL' ? INTERNAL_ERROR : err.message);
