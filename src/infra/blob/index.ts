import type { Logger } from '../../common/logger';
import type { BlobConfig } from '../../config';
import { AzureBlobStorage, type AzureBlobStorageOptions } from './blob-storage';
import { startEmbeddedAzurite } from './embedded-azurite';

export { AzureBlobStorage, BlobAlreadyExistsError, BlobNotFoundError, type BlobStorage } from './blob-storage';
export { startEmbeddedAzurite, type EmbeddedAzurite } from './embedded-azurite';

export interface BlobStorageHandle {
  storage: AzureBlobStorage;
  /** Stops the embedded Azurite, if one was started; nothing to release otherwise. */
  stop(): Promise<void>;
}

/**
 * The blob storage the config asks for, with its container created: the configured account, or
 * a supervised Azurite server started for this process (no AZURE_STORAGE_CONNECTION_STRING).
 */
export async function createBlobStorage(
  config: BlobConfig,
  logger: Logger,
  options: AzureBlobStorageOptions = {},
): Promise<BlobStorageHandle> {
  if (config.kind === 'connection-string') {
    const storage = new AzureBlobStorage(config.connectionString, config.container, { logger, ...options });
    await storage.ensureContainer();
    return { storage, stop: async () => {} };
  }
  let storage: AzureBlobStorage | undefined;
  const azurite = await startEmbeddedAzurite({
    location: config.location,
    logger,
    // An in-memory Azurite comes back empty: the container must exist again before it is ready.
    onRestarted: async () => storage?.ensureContainer(),
  });
  try {
    storage = new AzureBlobStorage(azurite.connectionString, config.container, { logger, ...options });
    await storage.ensureContainer();
    return { storage, stop: () => azurite.stop() };
  } catch (error) {
    await azurite.stop();
    throw error;
  }
}
