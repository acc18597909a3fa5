import { createHash } from 'node:crypto';
import { rename, stat } from 'node:fs/promises';
import { BlobServiceClient } from '@azure/storage-blob';
import type { Logger } from '../../common/logger';
import type { BlobStorage } from './blob-storage';
import { startEmbeddedAzurite } from './embedded-azurite';

/**
 * Earlier releases kept the embedded default's archives in an Azurite server under
 * `DATA_DIR/azurite`. On the first start of this release, every blob of `container` there is
 * copied into `target` (identical copies are skipped, so a start cut off half-way simply runs
 * again), then the directory is renamed to `azurite.imported` so it is never read again and can
 * be deleted by hand.
 */
export async function importEmbeddedAzurite(location: string, container: string, target: BlobStorage, logger: Logger): Promise<void> {
  if (!(await isDirectory(location))) return;
  const startedAt = Date.now();
  const azurite = await startEmbeddedAzurite({ location, logger });
  let copied = 0;
  try {
    const source = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container);
    if (await source.exists()) {
      for await (const blob of source.listBlobsFlat()) {
        const bytes = await source.getBlobClient(blob.name).downloadToBuffer(undefined, undefined, { abortSignal: AbortSignal.timeout(60_000) });
        await target.uploadIfAbsent(blob.name, bytes, createHash('sha256').update(bytes).digest('hex'));
        copied += 1;
      }
    }
  } finally {
    await azurite.stop();
  }
  await rename(location, `${location}.imported`);
  logger.info({ copied, from: location, ms: Date.now() - startedAt }, 'imported the archives of the earlier embedded Azurite');
}

async function isDirectory(location: string): Promise<boolean> {
  return stat(location).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
