import type { Logger } from '../../common/logger';
import type { BlobStorage } from '../../infra/blob/blob-storage';
import type { Database } from '../../infra/db/database';
import type { FlowSource } from '../../infra/flows/flow-source';
import { metrics } from '../../infra/metrics/metrics';
import type { AuditRepository } from '../audit/audit.repository';
import type { IdempotencyService } from '../idempotency/idempotency.service';
import type { ProvenanceSigner } from '../provenance/provenance';
import { listPublishPolicyChanges, readPublishPolicy, setPublishPolicy } from '../publish-policy/manage-policy';
import type { PublishPolicyRepository } from '../publish-policy/publish-policy.repository';
import type { QuotaRepository } from '../quota/quota.repository';
import { readUsage } from '../quota/read-usage';
import type { SecretGuard } from '../secrets/secret-guard';
import type { ArchiveCache } from './archive-cache';
import { countedOutcome } from './outcome-metrics';
import type { PackageRepository } from './package.repository';
import type { PublishSlots } from './publish-slots';
import type { UpgradeMergeCache } from './upgrade-preview';
import { removeChannel, setChannel } from './use-cases/channels';
import { checkInstall } from './use-cases/check-install';
import { checkUpdates } from './use-cases/check-updates';
import { diffVersions } from './use-cases/diff-versions';
import { editMetadata } from './use-cases/edit-metadata';
import { installPackage } from './use-cases/install-package';
import { deletePackage, listAuditEvents, setVisibility } from './use-cases/manage-package';
import { previewUpgrade, previewUpgrades } from './use-cases/preview-upgrades';
import { publishPackage } from './use-cases/publish-package';
import { quarantinePackage, releasePackage } from './use-cases/quarantine-package';
import { approveVersion, rejectVersion } from './use-cases/review-version';
import {
  getPackage,
  getPackagesByIds,
  getPackagesByKeys,
  listPackages,
  listChannelsOfPackages,
  listFirstVersionsOfPackages,
  listPackagesFromFlows,
  listVersions,
} from './use-cases/read-packages';
import { deprecateVersion, restoreVersion, withdrawVersion } from './use-cases/version-status';

/** What the catalog's use cases are built from; `app.ts` (the composition root) provides it. */
export interface CatalogDeps {
  db: Database;
  packages: PackageRepository;
  audit: AuditRepository;
  blobs: BlobStorage;
  flows: FlowSource;
  idempotency: IdempotencyService;
  /** Verified archives by sha256 (immutable): installs of a popular package skip blob storage. */
  archives: ArchiveCache;
  logger: Logger;
  /** Refuses publishes that hold credentials (docs/FLOW-FORMAT.md). */
  secrets: SecretGuard;
  /** Per-tenant counters and limits, checked in the publish transaction. */
  quotas: QuotaRepository;
  /** The largest answer one request may get (`MAX_RESPONSE_BYTES`). */
  maxResponseBytes: number;
  /** Each package's publish slot, and the bulkhead every database unit of publish goes through. */
  publishSlots: PublishSlots;
  /** Signs each published version's provenance statement; installs verify it (docs/ARCHITECTURE.md, "Signed provenance"). */
  provenance: ProvenanceSigner;
  /** Recent upgrade merges by (from archive, to archive, copy): a merge is a pure function of them. */
  upgradeMerges: UpgradeMergeCache;
  /** Each tenant's publish policy (docs/API.md, "Publish policies"): read by every publish. */
  publishPolicies: PublishPolicyRepository;
}

/** What an edge knows of the request besides the caller. */
export interface RequestMeta {
  /** The caller's own `Authorization` header, forwarded to the flows service. */
  authorization: string;
  /** The `Idempotency-Key` header, for publish. */
  idempotencyKey: string | null;
}

/** Tenant-scoped operations take this: only super admins may name another tenant. */
export interface TenantOption {
  tenantId?: string | null;
}

/**
 * Every catalog operation, bound to its dependencies: the one surface GraphQL and REST call.
 * Each takes the caller and plain input, checks the policy itself, and returns records already
 * redacted for that caller.
 */
export function createCatalog(deps: CatalogDeps) {
  type Rest<F> = F extends (deps: CatalogDeps, ...args: infer A) => infer R ? (...args: A) => R : never;
  const bind = <F extends (deps: CatalogDeps, ...args: never[]) => unknown>(useCase: F): Rest<F> => ((...args: never[]) => useCase(deps, ...args)) as Rest<F>;
  return {
    listPackages: bind(listPackages),
    getPackage: bind(getPackage),
    getPackagesByIds: bind(getPackagesByIds),
    getPackagesByKeys: bind(getPackagesByKeys),
    listPackagesFromFlows: bind(listPackagesFromFlows),
    listVersions: bind(listVersions),
    listFirstVersionsOfPackages: bind(listFirstVersionsOfPackages),
    listChannelsOfPackages: bind(listChannelsOfPackages),
    setChannel: bind(setChannel),
    removeChannel: bind(removeChannel),
    publishPackage: countedOutcome(metrics.publishes, bind(publishPackage)),
    installPackage: countedOutcome(metrics.installs, bind(installPackage)),
    checkInstall: bind(checkInstall),
    previewUpgrade: bind(previewUpgrade),
    previewUpgrades: bind(previewUpgrades),
    setVisibility: bind(setVisibility),
    editMetadata: bind(editMetadata),
    deletePackage: bind(deletePackage),
    quarantinePackage: bind(quarantinePackage),
    releasePackage: bind(releasePackage),
    listAuditEvents: bind(listAuditEvents),
    readUsage: bind(readUsage),
    deprecateVersion: bind(deprecateVersion),
    withdrawVersion: bind(withdrawVersion),
    restoreVersion: bind(restoreVersion),
    approveVersion: bind(approveVersion),
    rejectVersion: bind(rejectVersion),
    checkUpdates: bind(checkUpdates),
    diffVersions: bind(diffVersions),
    readPublishPolicy: bind(readPublishPolicy),
    setPublishPolicy: bind(setPublishPolicy),
    listPublishPolicyChanges: bind(listPublishPolicyChanges),
  };
}

export type Catalog = ReturnType<typeof createCatalog>;
