import path from 'node:path';
import type { Logger } from '../../common/logger';
import type { BlobConfig } from '../../config';
import { importEmbeddedAzurite } from './azurite-import';
import { AzureBlobStorage, type AzureBlobStorageOptions, type BlobStorage } from './blob-storage';
import { FileBlobStorage } from './file-blob-storage';

export { AzureBlobStorage, BlobAlreadyExistsError, BlobNotFoundError, type BlobStorage } from './blob-storage';
export { FileBlobStorage } from './file-blob-storage';

interface BlobStorageHandle {
  storage: BlobStorage;
  /** Nothing to release today; kept so a future adapter with a process or pool can. */
  stop(): Promise<void>;
}

/**
 * The blob storage the config asks for, ready to use: the configured Azure account with its
 * container created, or the embedded default's durable directory (no AZURE_STORAGE_CONNECTION_STRING).
 */
export async function createBlobStorage(config: BlobConfig, logger: Logger, options: AzureBlobStorageOptions = {}): Promise<BlobStorageHandle> {
  if (config.kind === 'connection-string') {
    const storage = new AzureBlobStorage(config.connectionString, config.container, { logger, ...options });
    await storage.ensureContainer();
    return { storage, stop: async () => {} };
  }
  const storage = new FileBlobStorage(path.join(config.directory, config.container), logger);
  await storage.open();
  if (config.importAzuriteFrom) await importEmbeddedAzurite(config.importAzuriteFrom, config.container, storage, logger);
  return { storage, stop: async () => {} };
}
