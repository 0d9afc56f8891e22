import { EngineError } from '@rowline/engine';
import { StorageError } from '@rowline/storage';
import { describe, expect, it } from 'vitest';
import {
  artifactNotStored, databaseFault, failureText, FileUnavailable, filesServiceFault, INTERNAL_ERROR, temporaryFileFault, workflowErrorText,
} from '../../src/worker/run-failure.js';

/** Errors as Node and the clients make them: what each names is what users must not read. */
const errno = (message: string, code: string, syscall: string, path?: string) =>
  Object.assign(new Error(message), { code, syscall, errno: -1, ...(path ? { path } : {}) });
const DISK = errno('EACCES: permission denied, open \'/var/lib/rowline/storage/t1/artifacts/r1/.out.csv.partial\'', 'EACCES', 'open', '/var/lib/rowline/storage/t1/artifacts/r1/.out.csv.partial');
const REFUSED = errno('connect ECONNREFUSED 10.0.4.17:5432', 'ECONNREFUSED', 'connect');
const POSTGRES = Object.assign(new Error('duplicate key value violates unique constraint "execution_logs_pkey"'), { code: '23505', severity: 'ERROR', table: 'execution_logs' });
const INPUT = 'the input (0190a1b2-0000-7000-8000-000000000001)';

describe('the text users read of a failure that is not the workflow\'s own', () => {
  it('says what failed in their terms, never the error\'s own message', () => {
    expect(failureText(databaseFault(REFUSED))).toBe('the database was unavailable');
    expect(failureText(filesServiceFault(REFUSED))).toBe('the files service did not register the run\'s artifacts');
    expect(failureText(artifactNotStored('summary.xlsx', DISK))).toBe('the artifact "summary.xlsx" could not be stored');
    expect(failureText(temporaryFileFault(DISK))).toBe('a temporary file of the run could not be written or read');
  });

  it('tells the database away or busy from another error of it, which is an internal error', () => {
    const pg = (message: string, code?: string) => Object.assign(new Error(message), code ? { code, severity: 'FATAL' } : {});
    for (const away of [
      REFUSED, pg('Connection terminated unexpectedly'), pg('timeout exceeded when trying to connect'),
      pg('terminating connection due to administrator command', '57P01'), pg('the database system is starting up', '57P03'),
      pg('connection failure', '08006'), new Error('the claim failed', { cause: REFUSED }),
    ]) expect(failureText(databaseFault(away)), away.message).toBe('the database was unavailable');
    for (const busy of [pg('could not serialize access due to concurrent update', '40001'), pg('deadlock detected', '40P01'), pg('canceling statement due to statement timeout', '57014')]) {
      expect(failureText(databaseFault(busy)), busy.message).toBe('the database was busy');
    }
    for (const other of [POSTGRES, pg('relation "executions.execution_logs" does not exist', '42P01'), new TypeError('Cannot read properties of undefined (reading \'sequence\')')]) {
      expect(failureText(databaseFault(other)), other.message).toBe(INTERNAL_ERROR);
    }
  });

  it('finds the fault under the engine\'s error, and says it without the engine\'s words around storage\'s', () => {
    const fault = artifactNotStored('out.csv', DISK);
    const engine = new EngineError('OUTPUT_FAILED', `writing artifact out.csv failed: ${fault.message}`, { cause: fault });
    expect(failureText(engine)).toBe('the artifact "out.csv" could not be stored');
  });

  it('keeps the engine\'s words about a file storage could not give, which name it as the user uploaded it', () => {
    const unavailable = new FileUnavailable(INPUT, REFUSED);
    expect(unavailable.message).toBe(`${INPUT} could not be read from storage`);
    const engine = new EngineError('UNSUPPORTED_FILE', `cannot read sales.csv: ${unavailable.message}`, { cause: unavailable });
    expect(failureText(engine)).toBe(`cannot read sales.csv: ${INPUT} could not be read from storage`);
    expect(failureText(unavailable)).toBe(`${INPUT} could not be read from storage`);
  });

  it('says only the fault\'s words when the engine\'s error is not directly about it (another error between them)', () => {
    const unavailable = new FileUnavailable(INPUT, REFUSED);
    const between = new Error(`inflate: ${unavailable.message} (at /srv/worker/node_modules/yauzl/index.js:99)`, { cause: unavailable });
    const engine = new EngineError('CORRUPT_FILE', `cannot read part xl/sheet1.xml: ${between.message}`, { cause: between });
    expect(failureText(engine)).toBe(`${INPUT} could not be read from storage`);
  });

  it('tells a file deleted since the run was accepted from one storage failed to give', () => {
    const gone = new FileUnavailable(INPUT, new StorageError('NOT_FOUND', 'No object at t1/files/f1'));
    expect(gone.gone).toBe(true);
    expect(gone.message).toBe(`${INPUT} is no longer in storage: it was deleted or expired after the run was accepted`);
    expect(new FileUnavailable(INPUT, DISK).gone).toBe(false);
  });

  it('says "an internal error" for anything no fault tells, whatever it was', () => {
    expect(failureText(POSTGRES)).toBe(INTERNAL_ERROR);
    expect(failureText(REFUSED)).toBe(INTERNAL_ERROR);
    expect(failureText(new TypeError('Cannot read properties of undefined (reading \'storageKey\')'))).toBe(INTERNAL_ERROR);
    expect(failureText('a string thrown')).toBe(INTERNAL_ERROR);
    expect(failureText(undefined)).toBe(INTERNAL_ERROR);
  });
});

describe('the text users read of the workflow\'s own error', () => {
  it('is the engine\'s, written for them', () => {
    expect(workflowErrorText(new EngineError('MISSING_COLUMN', 'column "colour" not found (columns: "region")'))).toBe('column "colour" not found (columns: "region")');
  });

  it('is "an internal error" for the engine\'s INTERNAL, which quotes what the engine did not expect', () => {
    const bug = new TypeError('Cannot read properties of undefined (reading \'rows\')');
    expect(workflowErrorText(new EngineError('INTERNAL', `the run failed: ${bug.message}`, { cause: bug }))).toBe(INTERNAL_ERROR);
  });
});
