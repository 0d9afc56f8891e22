// Fails when proto/src/gen is not what `npm run proto:gen` produces from proto/**/*.proto today.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const proto = fileURLToPath(new URL('../proto', import.meta.url));
const bin = fileURLToPath(new URL('../node_modules/.bin', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'proto-gen-'));
const files = (dir) => readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
try {
  execFileSync(join(bin, 'buf'), ['generate', '-o', out], { cwd: proto, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stdio: 'inherit' });
  const fresh = join(out, 'src/gen');
  const committed = join(proto, 'src/gen');
  const names = files(fresh);
  const stale = names.length !== files(committed).length
    || names.some((n) => readFileSync(join(fresh, n), 'utf8') !== readFileSync(join(committed, n), 'utf8'));
  if (stale) {
    console.error('proto/src/gen is stale: run `npm run proto:gen` and commit the result.');
    process.exit(1);
  }
  console.log('generated protobuf code is current');
} finally {
  rmSync(out, { recursive: true, force: true });
}
