import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@rowline/testing';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const node = process.execPath;

function run(args: string[], opts: { cwd: string; env: Record<string, string> }) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(node, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    // 'close', not 'exit': only then is all it wrote to its pipes read.
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('the migrations Job entry (dist/migrate-main.js)', () => {
  let db: TestDatabase | undefined;
  afterAll(async () => { await db?.drop(); });

  it('applies a service\'s migrations from its working directory and exits 0, twice', async () => {
    db = await createTestDatabase('migrate_job');
    for (let i = 0; i < 2; i++) {
      const r = await run(['packages/kit/dist/migrate-main.js'].map((p) => `${root}/${p}`), { cwd: `${root}/services/auth`, env: { DATABASE_URL: db.url, LOG_LEVEL: 'info' } });
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain('migrations applied');
    }
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>('select count(*) as n from auth.mikro_orm_migrations');
      expect(Number(rows[0]!.n)).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  });

  it('fails with the variable named when DATABASE_URL is missing', async () => {
    const r = await run([`${root}/packages/kit/dist/migrate-main.js`], { cwd: `${root}/services/auth`, env: { DATABASE_URL: '' } });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('DATABASE_URL');
  });
});

describe('tracing started by --import @rowline/kit/tracing-register', () => {
  it('exports spans over OTLP/HTTP to the endpoint the standard variables name, with the service name', async () => {
    const bodies: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { if (req.url === '/v1/traces') bodies.push(body); res.writeHead(200, { 'content-type': 'application/json' }).end('{}'); });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
      const script = "const { trace } = await import('@opentelemetry/api'); trace.getTracer('t').startSpan('traced-by-register').end();";
      const r = await run(['--import', '@rowline/kit/tracing-register', '--input-type=module', '-e', script], {
        cwd: `${root}/services/auth`, env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
      });
      expect(r.code, r.out).toBe(0);
      const exported = bodies.join('\n');
      expect(exported).toContain('traced-by-register');
      expect(exported).toContain('"stringValue":"auth"');
    } finally {
      receiver.close();
    }
  });

  it('exports nothing when no OTEL variable asks for it', async () => {
    const r = await run(['--import', '@rowline/kit/tracing-register', '--input-type=module', '-e',
      "const { trace } = await import('@opentelemetry/api'); console.log(trace.getTracerProvider().getDelegate().constructor.name);"], {
      cwd: `${root}/services/auth`, env: { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_EXPORTER: '' },
    });
    expect(r.out.trim()).toBe('NoopTracerProvider');
  });
});
