import { randomUUID } from 'node:crypto';
import { PERMISSION_MANAGE, PERMISSION_VIEW, isAdminOf, type Caller } from '../../common/caller';
import { ConflictError, ForbiddenError, NotFoundError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { decodeCursor, encodeCursor, pageSize } from '../../common/pagination';
import type { BlobStorage } from '../../infra/blob/blob-storage';
import { BlobAlreadyExistsError } from '../../infra/blob/blob-storage';
import type { Database } from '../../infra/db/database';
import type { FlowSource } from '../../infra/flows/flow-source';
import { assertCompiles } from '../flow/flow-compiler';
import { buildPackageArchive, packageJsonFor, readPackageArchive, sha256Hex } from './package-archive';
import type { PackageRecord } from './package.model';
import { PackageRepository } from './package.repository';
import { parseInput, publishInputSchema } from './package.validation';
import { compareVersions, nextAfterConflict, resolvePublishVersion } from './versioning';

/** Bounded: each round lets at least one concurrent publisher through. */
const MAX_PUBLISH_ATTEMPTS = 40;

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface InstallResult {
  flow: Record<string, unknown>;
  metadata: { packageId: string; name: string; version: string; authorEmail: string | null };
}

type PublishOutcome = { kind: 'published'; record: PackageRecord } | { kind: 'lost-race'; latest: string };

export function blobNameFor(tenantId: string, packageId: string, version: string): string {
  return `catalog/${tenantId}/${packageId}/v${version}.scaipkg`;
}

export function requirePermission(caller: Caller, permission: string): void {
  if (!caller.permissions.has(permission)) throw new ForbiddenError(`This needs the ${permission} permission`);
}

/**
 * Owns the catalog's rules: who may do what, versions, and the publish sequence that keeps the
 * invariants (no row without its blob, no blob overwritten, no version reused).
 */
export class PackageService {
  private readonly repo = new PackageRepository();

  constructor(
    private readonly db: Database,
    private readonly blobs: BlobStorage,
    private readonly flows: FlowSource,
    private readonly logger: Logger,
  ) {}

  async listPackages(caller: Caller, args: { first?: number | null; after?: string | null }): Promise<Connection<PackageRecord>> {
    requirePermission(caller, PERMISSION_VIEW);
    const limit = pageSize(args.first);
    const after = decodeCursor(args.after);
    const page = await this.db.run((em) => this.repo.listVisible(em, caller, limit, after));
    const edges = page.items.map((node) => ({ cursor: encodeCursor(node), node }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  async getPackage(caller: Caller, packageId: string): Promise<PackageRecord | null> {
    requirePermission(caller, PERMISSION_VIEW);
    return this.db.run((em) => this.repo.findVisible(em, caller, caller.tenantId, packageId));
  }

  /** Batched lookup for federation `_entities`: one query, invisible ids simply absent. */
  async getPackagesByIds(caller: Caller, ids: readonly string[]): Promise<PackageRecord[]> {
    if (!caller.permissions.has(PERMISSION_VIEW)) return [];
    const valid = ids.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
    return this.db.run((em) => this.repo.findVisibleByIds(em, caller, valid));
  }

  async publishPackage(caller: Caller, rawInput: unknown, authorization: string): Promise<PackageRecord> {
    requirePermission(caller, PERMISSION_MANAGE);
    const input = parseInput(publishInputSchema, rawInput);
    const content = input.flowId != null ? await this.flows.fetchFlowForDeploy(input.flowId, authorization) : input.content;

    // A version that lost a race (taken by a concurrent publish, or an orphaned blob) is a floor
    // the next attempt must climb above.
    let floor: string | null = null;
    for (let attempt = 1; attempt <= MAX_PUBLISH_ATTEMPTS; attempt += 1) {
      const existing = await this.db.run((em) => this.repo.findAny(em, caller.tenantId, input.packageId));
      if (existing) await this.assertMayChange(caller, existing);
      let { version } = resolvePublishVersion(input.version, existing?.latestVersion ?? null);
      if (floor && compareVersions(version, floor) <= 0) version = nextAfterConflict(floor);

      // Compiling before any write: a failure leaves no blob and no row.
      const { flow, manifestYaml } = assertCompiles(content, {
        packageId: input.packageId,
        name: input.name,
        version,
        description: input.description ?? null,
      });
      const author = existing ?? { authorId: caller.userId, authorEmail: caller.email };
      const { bytes, sha256 } = buildPackageArchive({
        flow,
        manifestYaml,
        readme: input.readme ?? null,
        packageJson: packageJsonFor({
          packageId: input.packageId,
          name: input.name,
          version,
          description: input.description ?? null,
          authorId: author.authorId,
          authorEmail: author.authorEmail,
          sourceFlowId: input.flowId ?? null,
        }),
      });
      const blobName = blobNameFor(caller.tenantId, input.packageId, version);
      try {
        await this.blobs.uploadIfAbsent(blobName, bytes, sha256);
      } catch (error) {
        if (!(error instanceof BlobAlreadyExistsError)) throw error;
        this.logger.warn({ blobName, attempt }, 'blob exists with other content; trying the next version');
        floor = version;
        continue;
      }

      const now = new Date();
      const outcome = await this.db.transaction(async (em): Promise<PublishOutcome> => {
        const { row, created } = await this.repo.lockOrCreate(em, {
          id: randomUUID(),
          tenantId: caller.tenantId,
          packageId: input.packageId,
          name: input.name,
          description: input.description ?? null,
          readme: input.readme ?? null,
          latestVersion: version,
          authorId: caller.userId,
          authorEmail: caller.email,
          visibility: 'tenant',
          visibilityGroupIds: [],
          sourceFlowId: input.flowId ?? null,
          createdAt: now,
          updatedAt: now,
          deletedAt: null,
        });
        if (!created && compareVersions(version, row.latestVersion) <= 0) return { kind: 'lost-race', latest: row.latestVersion };
        if (!created && !existing) await this.assertMayChange(caller, row);
        await this.repo.insertVersion(em, {
          id: randomUUID(),
          packageUuid: row.id,
          version,
          sha256,
          sizeBytes: bytes.length,
          blobName,
          publisherId: caller.userId,
          publisherEmail: caller.email,
          publishedAt: now,
        });
        const fields = {
          name: input.name,
          description: input.description ?? null,
          readme: input.readme ?? null,
          latestVersion: version,
          sourceFlowId: input.flowId ?? null,
          updatedAt: now,
        };
        await this.repo.updateAfterPublish(em, row.id, fields);
        return { kind: 'published', record: { ...row, ...fields, deletedAt: null } };
      });
      if (outcome.kind === 'published') {
        this.logger.info({ tenantId: caller.tenantId, packageId: input.packageId, version, sha256 }, 'package published');
        return outcome.record;
      }
      floor = compareVersions(outcome.latest, version) > 0 ? outcome.latest : version;
    }
    throw new ConflictError('Too many concurrent publishes of this package; try again');
  }

  async installPackage(caller: Caller, packageId: string, options: { version?: string | null } = {}): Promise<InstallResult> {
    requirePermission(caller, PERMISSION_VIEW);
    const found = await this.db.run(async (em) => {
      const pkg = await this.repo.findVisible(em, caller, caller.tenantId, packageId);
      if (!pkg) return null;
      const version = await this.repo.findVersion(em, pkg.id, options.version ?? pkg.latestVersion);
      return version ? { pkg, version } : null;
    });
    if (!found) throw new NotFoundError(`Package ${packageId}${options.version ? ` version ${options.version}` : ''} not found`);
    const { pkg, version } = found;

    const bytes = await this.blobs.download(version.blobName);
    const actual = sha256Hex(bytes);
    if (actual !== version.sha256) {
      // Never serve an archive that is not the one published: it was altered or corrupted.
      this.logger.error({ blobName: version.blobName, expected: version.sha256, actual }, 'archive sha256 mismatch');
      throw new Error(`Archive integrity check failed for ${version.blobName}`);
    }
    const archived = readPackageArchive(bytes).flow as Record<string, unknown>;
    const flowName = typeof archived.name === 'string' && archived.name.trim() !== '' ? archived.name : pkg.name;
    return {
      flow: { ...archived, id: randomUUID(), name: `Copy of ${flowName}` },
      metadata: { packageId: pkg.packageId, name: pkg.name, version: version.version, authorEmail: pkg.authorEmail },
    };
  }

  /**
   * Changing a package: its author, an admin of its tenant, or a super admin. Others get
   * FORBIDDEN when they can see the package and NOT_FOUND when they cannot.
   */
  private async assertMayChange(caller: Caller, pkg: PackageRecord): Promise<void> {
    if (pkg.authorId === caller.userId && pkg.tenantId === caller.tenantId) return;
    if (isAdminOf(caller, pkg.tenantId)) return;
    const visible = await this.db.run((em) => this.repo.findVisible(em, caller, pkg.tenantId, pkg.packageId));
    if (visible) throw new ForbiddenError('Only the author or an admin may change this package');
    throw new NotFoundError(`Package ${pkg.packageId} not found`);
  }
}
