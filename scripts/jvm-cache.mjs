// What the scripts that run Maven Central artifacts on the local JVM share (scripts/kafka, scripts/s3):
// the cache folder, the tool checks, and publishing a finished download so that a half-finished one is
// never taken for a cache hit.
import { spawnSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** `~/.cache/rowline/<name>` (or under XDG_CACHE_HOME): kept between runs, like the Maven cache. */
export function cacheDir(name) {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(cacheHome, 'rowline', name);
}

/** Throws, with `howTo` in the message, unless `command args` runs and succeeds. */
export function requireTool(command, args, name, howTo) {
  const probe = spawnSync(command, args, { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`${name} is not available (\`${command} ${args.join(' ')}\` failed). ${howTo}`);
  }
}

/** The java binary to run with: $JAVA_HOME/bin/java, else the one on PATH. */
export function findJava(howTo) {
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  requireTool(java, ['-version'], 'Java', howTo);
  return java;
}

/**
 * Renames the finished `scratch` folder to `target`. When another process finished first (the rename
 * fails and `done()` holds), its copy is as good as ours and ours is dropped.
 */
export function publishScratch(scratch, target, done) {
  try {
    renameSync(scratch, target);
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    if (!done()) throw err;
  }
}
