import { posix } from 'node:path';

/**
 * Where an upload lands while it is in flight: a dot-file beside the target, named after the delivery, so
 * a dropped connection leaves `.report.csv.<id>.part` (never a `report.csv` that looks complete) and a
 * retry of the same delivery overwrites its own leftover.
 */
export function uploadPaths(directory: string, fileName: string, deliveryId: string) {
  const dir = directory.replace(/\/+$/, '') || '/';
  return { dir, temp: posix.join(dir, `.${fileName}.${deliveryId.slice(0, 8)}.part`), final: posix.join(dir, fileName) };
}
