import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { startEmbeddedAzurite, type EmbeddedAzurite } from '../../src/infra/blob/embedded-azurite';

/**
 * An in-memory Azurite for one test file: start it in `beforeAll`, stop it in `afterAll`.
 * Each test file runs in its own jest worker context, so files never share a server.
 */
export function startTestAzurite(): Promise<EmbeddedAzurite> {
  return startEmbeddedAzurite({ location: null });
}

/** A fresh container name, so tests sharing one Azurite do not see each other's blobs. */
export function uniqueContainerName(prefix = 'test'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/** Every blob name in the container (optionally under `prefix`), sorted; [] if it does not exist. */
export async function listBlobNames(connectionString: string, container: string, prefix?: string): Promise<string[]> {
  const client = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
  if (!(await client.exists())) return [];
  const names: string[] = [];
  for await (const blob of client.listBlobsFlat(prefix ? { prefix } : {})) names.push(blob.name);
  return names.sort();
}
