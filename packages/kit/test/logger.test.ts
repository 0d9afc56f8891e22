import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@rowline/kit';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk).trim()); done(); } });
  return { lines, destination };
}

/** The keys of a JSON line in the order written, duplicates kept (JSON.parse would keep only the last). */
const keysOf = (line: string) => [...line.matchAll(/"([A-Za-z_]+)":/g)].map((m) => m[1]);

describe('createLogger', () => {
  it('writes each key once on a line of a child that names its own service, and the child\'s service wins', () => {
    const { lines, destination } = capture();
    const root = createLogger({ service: 'rowline', destination });
    const files = root.child({ service: 'files' });
    files.child({ component: 'sweeper' }).info({ fileId: 'f1' }, 'swept');
    root.info('started');
    const [childLine, rootLine] = lines;
    const keys = keysOf(childLine!);
    expect(new Set(keys).size).toBe(keys.length);
    expect(JSON.parse(childLine!)).toMatchObject({ level: 'info', service: 'files', component: 'sweeper', fileId: 'f1', msg: 'swept' });
    expect(JSON.parse(rootLine!)).toMatchObject({ service: 'rowline', msg: 'started' });
  });

  it('keeps the parent\'s service on a child that names none, and redacts secrets as before', () => {
    const { lines, destination } = capture();
    createLogger({ service: 'auth', destination }).child({ requestId: 'r1' }).warn({ password: 'hunter2' }, 'login');
    const keys = keysOf(lines[0]!);
    expect(new Set(keys).size).toBe(keys.length);
    expect(JSON.parse(lines[0]!)).toMatchObject({ service: 'auth', requestId: 'r1', password: '[redacted]' });
  });
});
