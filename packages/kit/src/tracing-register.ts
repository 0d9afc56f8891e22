/**
 * `node --import @rowline/kit/tracing-register dist/main.js`: starts tracing before the process's own code,
 * when the standard OTEL_* variables ask for it (off otherwise). The service name is OTEL_SERVICE_NAME, else
 * the package's name without its scope, with `-worker` for a worker entry point.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTracing } from './tracing.js';

function serviceName(): string {
  let name = 'rowline';
  try {
    name = (JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { name: string }).name.replace(/^@rowline\//, '');
  } catch { /* not started from a package folder: the generic name */ }
  return process.argv[1]?.endsWith('worker.js') ? `${name}-worker` : name;
}

const tracing = startTracing({ serviceName: serviceName() });
if (tracing) {
  // Flush what is buffered on the way out; kit's onShutdown ends the process after draining.
  process.once('beforeExit', () => { void tracing.shutdown(); });
}
