import type { BlobStorage } from '../blob/blob-storage';
import { metrics } from './metrics';

/** The same storage, with every call's duration in `catalog_blob_call_duration_seconds`. */
export function timedBlobStorage(storage: BlobStorage): BlobStorage {
  return {
    uploadIfAbsent: (name, bytes, sha256Hex) => timed('uploadIfAbsent', () => storage.uploadIfAbsent(name, bytes, sha256Hex)),
    replaceOrphan: (name, bytes, sha256Hex, beforeReplace) => timed('replaceOrphan', () => storage.replaceOrphan(name, bytes, sha256Hex, beforeReplace)),
    download: (name) => timed('download', () => storage.download(name)),
    exists: (name) => timed('exists', () => storage.exists(name)),
    ping: () => timed('ping', () => storage.ping()),
  };
}

async function timed<T>(operation: keyof BlobStorage, call: () => Promise<T>): Promise<T> {
  const stop = metrics.blobCallDuration.startTimer({ operation });
  try {
    const result = await call();
    stop({ outcome: 'ok' });
    return result;
  } catch (error) {
    stop({ outcome: 'error' });
    throw error;
  }
}
