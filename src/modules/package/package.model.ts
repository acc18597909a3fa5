import type { Visibility } from './package.entity';

/** A package as services and resolvers see it: a plain, read-only snapshot of its row. */
export interface PackageRecord {
  id: string;
  tenantId: string;
  packageId: string;
  name: string;
  description: string | null;
  readme: string | null;
  latestVersion: string;
  republishBase: string | null;
  authorId: string;
  authorEmail: string | null;
  visibility: Visibility;
  visibilityGroupIds: string[];
  sourceFlowId: string | null;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

export interface VersionRecord {
  id: string;
  packageUuid: string;
  version: string;
  sha256: string;
  sizeBytes: number;
  blobName: string;
  publisherId: string;
  publisherEmail: string | null;
  publishedAt: Date;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
}
