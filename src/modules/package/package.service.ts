import { randomUUID } from 'node:crypto';
import { PERMISSION_MANAGE, PERMISSION_VIEW, isAdminOf, isSuperAdmin, type Caller } from '../../common/caller';
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { UUID, decodeCursor, pageSize, toConnection, type Connection } from '../../common/pagination';
import type { BlobStorage } from '../../infra/blob/blob-storage';
import { BlobAlreadyExistsError } from '../../infra/blob/blob-storage';
import type { Database, Em } from '../../infra/db/database';
import type { FlowSource } from '../../infra/flows/flow-source';
import { AuditRepository, type AuditEventRecord } from '../audit/audit.repository';
import { assertCompiles } from '../flow/flow-compiler';
import { ArchiveCache } from './archive-cache';
import { buildPackageArchive, packageJsonFor, readPackageArchive, sha256Hex } from './package-archive';
import type { Visibility } from './package.entity';
import type { PackageRecord, VersionRecord } from './package.model';
import { isAuthor } from './package.policy';
import { PackageRepository, type PackageKey } from './package.repository';
import { groupIdsSchema, packageIdSchema, parseInput, publishInputSchema } from './package.validation';
import { compareVersions, nextAfterConflict, planPublishVersion, republishBaseAfter } from './versioning';

/** Archive bytes kept by the install cache (flows take a few times that once parsed). */
const ARCHIVE_CACHE_BYTES = 16 * 1_048_576;

/** Bounded: each round lets at least one concurrent publisher through. */
const MAX_PUBLISH_ATTEMPTS = 40;

export type { Connection };

/** Acting on a package of another tenant: only super admins may name one. */
export interface TenantOption {
  tenantId?: string | null;
}

export interface InstallResult {
  flow: Record<string, unknown>;
  metadata: { packageId: string; name: string; version: string; authorEmail: string | null };
}

type PublishOutcome = { kind: 'published'; record: PackageRecord } | { kind: 'lost-race'; latest: string };

function maxVersion(a: string, b: string): string {
  return compareVersions(a, b) >= 0 ? a : b;
}

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
  private readonly audit = new AuditRepository();
  /** Verified archives by sha256 (immutable): installs of a popular package skip blob storage. */
  private readonly archives = new ArchiveCache(ARCHIVE_CACHE_BYTES);

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
    return toConnection(page, (pkg) => pkg);
  }

  async getPackage(caller: Caller, packageId: string, options: TenantOption = {}): Promise<PackageRecord | null> {
    requirePermission(caller, PERMISSION_VIEW);
    const tenantId = targetTenant(caller, options.tenantId);
    if (!packageIdSchema.safeParse(packageId).success) return null;
    return this.db.run((em) => this.repo.findVisible(em, caller, tenantId, packageId));
  }

  /** Every version of a package the caller already sees, newest first. */
  async listVersions(pkg: PackageRecord, args: { first?: number | null; after?: string | null }): Promise<Connection<VersionRecord>> {
    const limit = pageSize(args.first);
    const after = decodeCursor(args.after);
    const page = await this.db.run((em) => this.repo.listVersions(em, pkg.id, limit, after));
    return toConnection(page, (v) => ({ createdAt: v.publishedAt, id: v.id }));
  }

  /** Batched lookup for federation `_entities`: one query, invisible ids simply absent. */
  async getPackagesByIds(caller: Caller, ids: readonly string[]): Promise<PackageRecord[]> {
    if (!caller.permissions.has(PERMISSION_VIEW)) return [];
    const valid = ids.filter((id) => UUID.test(id));
    return this.db.run((em) => this.repo.findVisibleByIds(em, caller, valid));
  }

  /** Batched lookup by natural key, for the `tenantId packageId` federation key: one query. */
  async getPackagesByKeys(caller: Caller, keys: readonly PackageKey[]): Promise<PackageRecord[]> {
    if (!caller.permissions.has(PERMISSION_VIEW)) return [];
    const valid = keys.filter((key) => typeof key.tenantId === 'string' && packageIdSchema.safeParse(key.packageId).success);
    return this.db.run((em) => this.repo.findVisibleByKeys(em, caller, valid));
  }

  /**
   * The visible packages last published from each of the given flows (`Flow.catalogPackages`),
   * newest first, at most `perFlow` per flow: one query for every flow of the batch.
   */
  async listPackagesFromFlows(caller: Caller, flowIds: readonly string[], perFlow: number): Promise<PackageRecord[]> {
    if (!caller.permissions.has(PERMISSION_VIEW)) return [];
    const valid = flowIds.filter((id) => typeof id === 'string' && id.length > 0 && id.length <= 128);
    return this.db.run((em) => this.repo.findVisibleBySourceFlowIds(em, caller, valid, perFlow));
  }

  async publishPackage(caller: Caller, rawInput: unknown, authorization: string): Promise<PackageRecord> {
    requirePermission(caller, PERMISSION_MANAGE);
    const input = parseInput(publishInputSchema, rawInput);
    // Rights on an existing package first: a caller who may not republish it learns nothing from
    // the flows service and costs it nothing.
    const checked = await this.db.run(async (em) => {
      const row = await this.repo.findAny(em, caller.tenantId, input.packageId);
      if (row) await this.assertMayChange(em, caller, row);
      return row;
    });
    const content = input.flowId != null ? await this.flows.fetchFlowForDeploy(input.flowId, authorization) : input.content;

    // A version that lost a race (taken by a concurrent publish, or an orphaned blob) is a floor
    // the next attempt must climb above.
    let floor: string | null = null;
    for (let attempt = 1; attempt <= MAX_PUBLISH_ATTEMPTS; attempt += 1) {
      // Inline content: the row just checked serves the first attempt (nothing slow came between).
      const existing =
        attempt === 1 && input.flowId == null
          ? checked
          : await this.db.run(async (em) => {
              const row = await this.repo.findAny(em, caller.tenantId, input.packageId);
              if (row) await this.assertMayChange(em, caller, row);
              return row;
            });
      // The first attempt applies the rules (auto-bump, VERSION_REGRESSION); after losing a race the
      // publish simply takes the next free version, so concurrent republishes never fail.
      const version: string = floor
        ? nextAfterConflict(maxVersion(floor, existing?.latestVersion ?? floor))
        : planPublishVersion(input.version, existing?.latestVersion ?? null, existing?.republishBase ?? null).version;

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
          republishBase: null,
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
        if (!created && !existing) await this.assertMayChange(em, caller, row);
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
          republishBase: created ? null : republishBaseAfter(input.version, version, row.latestVersion, row.republishBase),
          sourceFlowId: input.flowId ?? null,
          updatedAt: now,
        };
        await this.repo.updateAfterPublish(em, row.id, fields);
        await this.audit.record(em, caller, {
          tenantId: row.tenantId,
          packageUuid: row.id,
          packageId: row.packageId,
          version,
          action: 'publish',
          changes: { version, sha256, sizeBytes: bytes.length, sourceFlowId: input.flowId ?? null, revived: row.deletedAt !== null },
          at: now,
        });
        return { kind: 'published', record: { ...row, ...fields, deletedAt: null } };
      });
      if (outcome.kind === 'published') {
        this.logger.info({ tenantId: caller.tenantId, packageId: input.packageId, version, sha256 }, 'package published');
        return outcome.record;
      }
      floor = maxVersion(outcome.latest, version);
    }
    throw new ConflictError('Too many concurrent publishes of this package; try again');
  }

  async installPackage(caller: Caller, packageId: string, options: TenantOption & { version?: string | null } = {}): Promise<InstallResult> {
    requirePermission(caller, PERMISSION_VIEW);
    const tenantId = targetTenant(caller, options.tenantId);
    if (!packageIdSchema.safeParse(packageId).success) throw new NotFoundError(`Package ${packageId} not found`);
    const found = await this.db.run(async (em) => {
      const pkg = await this.repo.findVisible(em, caller, tenantId, packageId);
      if (!pkg) return null;
      const version = await this.repo.findVersion(em, pkg.id, options.version ?? pkg.latestVersion);
      return version ? { pkg, version } : null;
    });
    if (!found) throw new NotFoundError(`Package ${packageId}${options.version ? ` version ${options.version}` : ''} not found`);
    const { pkg, version } = found;

    const archived = await this.archivedFlow(version);
    const flowName = typeof archived.name === 'string' && archived.name.trim() !== '' ? archived.name : pkg.name;
    // One statement, atomic on its own: no BEGIN/COMMIT round trips around it.
    await this.db.run((em) =>
      this.audit.record(em, caller, {
        tenantId: pkg.tenantId,
        packageUuid: pkg.id,
        packageId: pkg.packageId,
        version: version.version,
        action: 'install',
        changes: {},
        at: new Date(),
      }),
    );
    return {
      flow: { ...archived, id: randomUUID(), name: `Copy of ${flowName}` },
      metadata: { packageId: pkg.packageId, name: pkg.name, version: version.version, authorEmail: pkg.authorEmail },
    };
  }

  /** The flow of a version's archive: from the cache when this archive was verified before. */
  private async archivedFlow(version: VersionRecord): Promise<Readonly<Record<string, unknown>>> {
    const cached = this.archives.get(version.sha256);
    if (cached) return cached;
    const bytes = await this.blobs.download(version.blobName);
    const actual = sha256Hex(bytes);
    if (actual !== version.sha256) {
      // Never serve an archive that is not the one published: it was altered or corrupted.
      this.logger.error({ blobName: version.blobName, expected: version.sha256, actual }, 'archive sha256 mismatch');
      throw new Error(`Archive integrity check failed for ${version.blobName}`);
    }
    return this.archives.set(version.sha256, readPackageArchive(bytes).flow as Record<string, unknown>, bytes.length);
  }

  async setVisibility(
    caller: Caller,
    packageId: string,
    input: TenantOption & { visibility: Visibility; visibilityGroupIds?: readonly string[] | null },
  ): Promise<PackageRecord> {
    requirePermission(caller, PERMISSION_MANAGE);
    const tenantId = targetTenant(caller, input.tenantId);
    const groupIds = input.visibility === 'groups' ? parseGroupIds(input.visibilityGroupIds) : [];
    return this.changePackage(caller, tenantId, packageId, async (em, pkg, now) => {
      await this.repo.updateVisibility(em, pkg.id, input.visibility, groupIds, now);
      await this.audit.record(em, caller, {
        tenantId: pkg.tenantId,
        packageUuid: pkg.id,
        packageId: pkg.packageId,
        version: pkg.latestVersion,
        action: 'visibility',
        changes: {
          from: { visibility: pkg.visibility, visibilityGroupIds: pkg.visibilityGroupIds },
          to: { visibility: input.visibility, visibilityGroupIds: groupIds },
        },
        at: now,
      });
      return { ...pkg, visibility: input.visibility, visibilityGroupIds: groupIds, updatedAt: now };
    });
  }

  /** Soft delete: the row is marked, every version row and blob stays for audit. */
  async deletePackage(caller: Caller, packageId: string, input: TenantOption = {}): Promise<void> {
    requirePermission(caller, PERMISSION_MANAGE);
    const tenantId = targetTenant(caller, input.tenantId);
    await this.changePackage(caller, tenantId, packageId, async (em, pkg, now) => {
      await this.repo.markDeleted(em, pkg.id, now);
      await this.audit.record(em, caller, {
        tenantId: pkg.tenantId,
        packageUuid: pkg.id,
        packageId: pkg.packageId,
        version: pkg.latestVersion,
        action: 'delete',
        changes: {},
        at: now,
      });
      return pkg;
    });
  }

  /** The audit trail of a package, for its author and admins (deleted packages included). */
  async listAuditEvents(
    caller: Caller,
    packageId: string,
    args: TenantOption & { first?: number | null; after?: string | null },
  ): Promise<Connection<AuditEventRecord>> {
    requirePermission(caller, PERMISSION_VIEW);
    const tenantId = targetTenant(caller, args.tenantId);
    const limit = pageSize(args.first);
    const after = decodeCursor(args.after);
    const page = await this.db.run(async (em) => {
      const pkg = packageIdSchema.safeParse(packageId).success ? await this.repo.findAny(em, tenantId, packageId) : null;
      if (!pkg) throw new NotFoundError(`Package ${packageId} not found`);
      await this.assertMayChange(em, caller, pkg);
      return this.audit.list(em, pkg.id, limit, after);
    });
    return toConnection(page, (event) => ({ createdAt: event.occurredAt, id: event.id }));
  }

  /**
   * Runs a change on a visible package under its row lock, after the rights check: NOT_FOUND when
   * the caller cannot see the package, FORBIDDEN when they can but may not change it.
   */
  private changePackage(
    caller: Caller,
    tenantId: string,
    packageId: string,
    change: (em: Em, pkg: PackageRecord, now: Date) => Promise<PackageRecord>,
  ): Promise<PackageRecord> {
    if (!packageIdSchema.safeParse(packageId).success) throw new NotFoundError(`Package ${packageId} not found`);
    return this.db.transaction(async (em) => {
      // Admins manage every live package of their tenant, also `groups` ones outside their groups;
      // everyone else only reaches what they can see.
      const pkg = isAdminOf(caller, tenantId)
        ? await this.repo.findLive(em, tenantId, packageId)
        : await this.repo.findVisible(em, caller, tenantId, packageId, true);
      if (!pkg) throw new NotFoundError(`Package ${packageId} not found`);
      if (!mayChange(caller, pkg)) throw new ForbiddenError('Only the author or an admin may change this package');
      return change(em, pkg, new Date());
    });
  }

  /** For rows found without the visibility rule: FORBIDDEN if the caller sees it, else NOT_FOUND. */
  private async assertMayChange(em: Em, caller: Caller, pkg: PackageRecord): Promise<void> {
    if (mayChange(caller, pkg)) return;
    const visible = await this.repo.findVisible(em, caller, pkg.tenantId, pkg.packageId);
    if (visible) throw new ForbiddenError('Only the author or an admin may change this package');
    throw new NotFoundError(`Package ${pkg.packageId} not found`);
  }
}

/** Author, an admin of the package's tenant, or a super admin. */
function mayChange(caller: Caller, pkg: PackageRecord): boolean {
  return isAuthor(caller, pkg) || isAdminOf(caller, pkg.tenantId);
}

function targetTenant(caller: Caller, tenantId: string | null | undefined): string {
  if (tenantId == null || tenantId === caller.tenantId) return caller.tenantId;
  if (!isSuperAdmin(caller)) throw new ForbiddenError('Only a super admin may act in another tenant');
  return tenantId;
}

function parseGroupIds(groupIds: readonly string[] | null | undefined): string[] {
  const unique = [...new Set(parseInput(groupIdsSchema, groupIds ?? [], 'Invalid visibilityGroupIds'))];
  if (unique.length === 0) {
    throw new BadUserInputError('GROUPS visibility needs at least one group', [
      { path: '$.visibilityGroupIds', message: 'must list at least one group id' },
    ]);
  }
  return unique;
}
