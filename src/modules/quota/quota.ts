import { QuotaExceededError } from "../../common/errors";
import type { BlobStorage } from "../../infra/blob/blob-storage";

/**
 * Runs the publish transaction; when a quota refuses it after the upload, deletes the blob this
 * publish created (nothing written), then rethrows. A blob that was already there is left alone.
 */
export async function releasingBlobOnQuotaRefusal<T>(
  blobs: BlobStorage,
  blobName: string,
  created: boolean,
  transaction: () => Promise<T>,
): Promise<T> {
  try {
    return await transaction();
  } catch (error) {
    if (error instanceof QuotaExceededError && created)
      await blobs.deleteIfExists(blobName);
    throw error;
  }
}
