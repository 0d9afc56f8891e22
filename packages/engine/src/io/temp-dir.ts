import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A run's private temporary directory, made on first use and removed when the run ends, however it ends. */
export class TempDir {
  private dir: Promise<string> | null = null;
  private n = 0;

  async file(suffix: string): Promise<string> {
    this.dir ??= mkdtemp(join(tmpdir(), 'rowline-run-'));
    return join(await this.dir, `${++this.n}-${suffix}`);
  }

  async remove(): Promise<void> {
    if (!this.dir) return;
    const d = await this.dir.catch(() => null);
    this.dir = null;
    if (d) await rm(d, { recursive: true, force: true });
  }
}
