import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built kit (`npx tsc -b` first), run in a process of its own: these handlers end the process.
const kit = new URL('../dist/index.js', import.meta.url).href;

/** Runs an ES module body after `const started = exitOnStartupError('demo')`; answers its exit code and stderr. */
function run(body: string) {
  const source = `import { EnvError, exitOnStartupError } from ${JSON.stringify(kit)};\nconst started = exitOnStartupError('demo');\n${body}`;
  const { status, stderr } = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', timeout: 20_000,
  });
  return { code: status, stderr };
}

describe('exitOnStartupError', () => {
  it('explains a configuration error at start in one paragraph, without a stack trace', () => {
    const { code, stderr } = run(`throw new EnvError(['PORT: not set; expected an integer']);`);
    expect(code).toBe(1);
    expect(stderr).toContain('demo cannot start: its configuration is invalid.');
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('leaves an unexpected error at start to Node\'s report, with its stack', () => {
    const { code, stderr } = run(`throw new Error('the database said no');`);
    expect(code).toBe(1);
    expect(stderr).toContain('Error: the database said no');
    expect(stderr).toMatch(/^\s+at /m);
  });

  it('reports an error after the process has started as a crash with its stack, even one of a startup kind', () => {
    const { code, stderr } = run(`started();\nsetTimeout(() => { throw new EnvError(['COUNT_TIMEOUT_MS: too big']); }, 10);`);
    expect(code).toBe(1);
    expect(stderr).not.toContain('cannot start');
    expect(stderr).toContain('COUNT_TIMEOUT_MS: too big');
    expect(stderr).toMatch(/^\s+at /m);
  });
});
