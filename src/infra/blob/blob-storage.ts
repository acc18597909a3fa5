import { createHash } from 'node:crypto';
import { BlobServiceClient, isRestError, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { ServiceUnavailableError } from '../../common/errors';
import type { Logger } from '../../common/logger';

/** Write-once blob storage for package bundles: a name, once written, never changes. */
export interface BlobStorage {
  /**
   * Writes `bytes` at `name` unless a blob is already there. `'identical'` when the existing blob
   * has the same sha256 (a retried or repeated write); BlobAlreadyExistsError when it differs.
   */
  uploadIfAbsent(name: string, bytes: Buffer, sha256Hex: string): Promise<'created' | 'identical'>;
  /**
   * Overwrites a blob that no version row points at (left by a publish that died between its
   * upload and its commit). Conditional on the blob being the one just looked at (its ETag), so a
   * writer that slipped in between makes this fail instead of being overwritten.
   * `beforeReplace` runs after the ETag is read and before the conditional write; when it throws,
   * nothing is written (publish checks there that it still holds the package's reservation).
   */
  replaceOrphan(name: string, bytes: Buffer, sha256Hex: string, beforeReplace?: () => Promise<void>): Promise<void>;
  /** The blob's bytes; BlobNotFoundError when there is none. */
  download(name: string): Promise<Buffer>;
  exists(name: string): Promise<boolean>;
  /** Resolves when the account and container answer; rejects within a few seconds otherwise. */
  ping(): Promise<void>;
}

export class BlobAlreadyExistsError extends Error {
  override readonly name = 'BlobAlreadyExistsError';
  constructor(
    readonly blobName: string,
    readonly existingSha256: string,
    readonly attemptedSha256: string,
  ) {
    super(`Blob "${blobName}" already exists with different content (sha256 ${existingSha256}, not ${attemptedSha256})`);
  }
}

export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  constructor(readonly blobName: string) {
    super(`Blob "${blobName}" does not exist`);
  }
}

export interface AzureBlobStorageOptions {
  /** Deadline for one whole operation, retries included (the SDK has no client-side timeout). */
  operationTimeoutMs?: number;
  /** Deadline for `ping`, kept short so /readyz answers promptly. */
  pingTimeoutMs?: number;
  logger?: Logger;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const DEFAULT_OPERATION_TIMEOUT_MS = 10_000;

/**
 * Few, quick retries, so that a refused or failing service is given up on well within the deadline.
 * tryTimeoutInMs only becomes the server-side `timeout` parameter; the abort signal of each call
 * bounds the client side, retries included.
 */
function pipelineOptions(operationTimeoutMs: number): StoragePipelineOptions {
  return {
    retryOptions: {
      maxTries: 3,
      tryTimeoutInMs: Math.max(1_000, operationTimeoutMs),
      retryDelayInMs: 200,
      maxRetryDelayInMs: 1_000,
    },
  };
}
// Readiness must reflect the present: one try, no backoff.
const PING_PIPELINE_OPTIONS: StoragePipelineOptions = {
  retryOptions: { maxTries: 1, tryTimeoutInMs: 5_000 },
};

/**
 * Blob storage on Azure (or Azurite). Every call has a deadline; a service that is down, stalled
 * or failing (network errors, timeouts, 5xx) surfaces as `ServiceUnavailableError('blob-storage')`.
 */
export class AzureBlobStorage implements BlobStorage {
  private readonly container: ContainerClient;
  private readonly pingContainer: ContainerClient;
  private readonly operationTimeoutMs: number;
  private readonly pingTimeoutMs: number;
  private readonly logger: Logger | undefined;

  constructor(connectionString: string, containerName: string, options: AzureBlobStorageOptions = {}) {
    this.operationTimeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 5_000;
    this.logger = options.logger;
    this.container = BlobServiceClient.fromConnectionString(connectionString, pipelineOptions(this.operationTimeoutMs)).getContainerClient(containerName);
    this.pingContainer = BlobServiceClient.fromConnectionString(connectionString, PING_PIPELINE_OPTIONS).getContainerClient(containerName);
  }

  get containerName(): string {
    return this.container.containerName;
  }

  /** Creates the container when missing; safe to call on every start. */
  async ensureContainer(): Promise<void> {
    await this.container.createIfNotExists({ abortSignal: this.deadline() });
  }

  uploadIfAbsent(name: string, bytes: Buffer, sha256Hex: string): Promise<'created' | 'identical'> {
    return this.guarded(() => this.writeIfAbsent(name, bytes, sha256Hex));
  }

  async replaceOrphan(name: string, bytes: Buffer, sha256Hex: string, beforeReplace?: () => Promise<void>): Promise<void> {
    const blob = this.container.getBlockBlobClient(name);
    const { etag } = await this.guarded(() => blob.getProperties({ abortSignal: this.deadline() }));
    // Outside `guarded`: its errors are the caller's own, not blob storage's.
    await beforeReplace?.();
    await this.guarded(async () => {
      const md5 = createHash('md5').update(bytes).digest();
      await blob.upload(bytes, bytes.length, {
        conditions: { ifMatch: etag },
        metadata: { sha256: sha256Hex.toLowerCase() },
        blobHTTPHeaders: { blobContentType: 'application/zip', blobContentMD5: md5 },
        transactionalContentMD5: md5,
        abortSignal: this.deadline(),
      });
    });
  }

  download(name: string): Promise<Buffer> {
    return this.guarded(() => this.read(name));
  }

  exists(name: string): Promise<boolean> {
    return this.guarded(() => this.container.getBlobClient(name).exists({ abortSignal: this.deadline() }));
  }

  async ping(): Promise<void> {
    await this.pingContainer.getProperties({ abortSignal: AbortSignal.timeout(this.pingTimeoutMs) });
  }

  private async writeIfAbsent(name: string, bytes: Buffer, sha256Hex: string): Promise<'created' | 'identical'> {
    const sha256 = sha256Hex.toLowerCase();
    // The stored sha256 decides later whether a re-upload is identical, so it must be the truth.
    if (!SHA256_HEX.test(sha256) || sha256 !== sha256Of(bytes)) {
      throw new Error(`sha256 given for blob "${name}" does not match its bytes`);
    }
    const blob = this.container.getBlockBlobClient(name);
    const md5 = createHash('md5').update(bytes).digest();
    try {
      await blob.upload(bytes, bytes.length, {
        conditions: { ifNoneMatch: '*' },
        metadata: { sha256 },
        blobHTTPHeaders: { blobContentType: 'application/zip', blobContentMD5: md5 },
        // The service checks the bytes it received against this before storing them.
        transactionalContentMD5: md5,
        abortSignal: this.deadline(),
      });
      return 'created';
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    // Someone wrote this name first; that may be our own earlier try whose answer was lost.
    const existing = await this.storedSha256(name);
    if (existing === sha256) return 'identical';
    throw new BlobAlreadyExistsError(name, existing, sha256);
  }

  private async read(name: string): Promise<Buffer> {
    try {
      return await this.container.getBlobClient(name).downloadToBuffer(undefined, undefined, {
        abortSignal: this.deadline(),
      });
    } catch (error) {
      throw isBlobMissing(error) ? new BlobNotFoundError(name) : error;
    }
  }

  /** The sha256 recorded at upload, or computed from the bytes for blobs written without it. */
  private async storedSha256(name: string): Promise<string> {
    const properties = await this.container.getBlobClient(name).getProperties({ abortSignal: this.deadline() });
    const recorded = properties.metadata?.sha256?.toLowerCase();
    if (recorded && SHA256_HEX.test(recorded)) return recorded;
    return sha256Of(await this.read(name));
  }

  private deadline(): AbortSignal {
    return AbortSignal.timeout(this.operationTimeoutMs);
  }

  private async guarded<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      this.logger?.warn({ dependency: 'blob-storage', err: error }, 'blob storage unavailable');
      throw new ServiceUnavailableError('blob-storage');
    }
  }
}

/** Timeouts, aborts, network failures and 5xx: the service, not the request, is at fault. */
function isUnavailable(error: unknown): boolean {
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) return true;
  if (!isRestError(error)) return false;
  return error.statusCode === undefined || error.statusCode >= 500;
}

function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function errorCode(error: unknown): string | undefined {
  if (!isRestError(error)) return undefined;
  const details = error.details as { errorCode?: string } | undefined;
  return details?.errorCode ?? error.code;
}

function isAlreadyExists(error: unknown): boolean {
  if (!isRestError(error)) return false;
  // Azure answers If-None-Match: * with 409 BlobAlreadyExists; 412 is the generic form.
  return (error.statusCode === 409 && errorCode(error) === 'BlobAlreadyExists') || (error.statusCode === 412 && errorCode(error) === 'ConditionNotMet');
}

function isBlobMissing(error: unknown): boolean {
  // A missing container is a configuration fault, not a missing blob: let it surface as is.
  return isRestError(error) && error.statusCode === 404 && errorCode(error) !== 'ContainerNotFound';
}
