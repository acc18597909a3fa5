import type { PolicyViolation } from '../../common/errors';
import type { Scope } from '../access/scope';
import type { Requirements } from '../flow/requirements.types';
import type { Provenance } from '../provenance/provenance';
import type { Visibility } from './package.entity';
import type { ChannelRecord, PackageRecord, VersionRecord } from './package.model';
import type { VersionStatus } from './version-status';
import { readsUnreleased } from './unreleased';
import { requirementsOf } from './version-requirements';

/**
 * A package as one caller may read it: what use cases return to both edges. Fields the caller may
 * not read are already null here, so no edge can forget a rule.
 */
export interface PackageView {
  id: string;
  tenantId: string;
  packageId: string;
  name: string;
  description: string | null;
  readme: string | null;
  /** The default version (what install gives without a version): the highest installable release,
   * else prerelease. A package with none (seen by its author and admins only) shows its highest version. */
  version: string;
  /** The highest version ever published: what a publish just got, and what republishing bumps.
   * Staged and rejected versions count only for the package's author and reviewers. */
  latestVersion: string;
  authorId: string;
  /** null unless the caller is in the package's tenant or a super admin. */
  authorEmail: string | null;
  visibility: Visibility;
  /** null unless the caller is the author, an admin of the package's tenant or a super admin. */
  visibilityGroupIds: string[] | null;
  sourceFlowId: string | null;
  tags: string[];
  /** The distinct node types of the highest version's flow, sorted. */
  nodeTypes: string[];
  installCount: number;
  /** Moves up by one with every change of the package (publish, visibility, status, quarantine, delete). */
  revision: number;
  /** Whether an admin quarantined it: only admins may install, publish to or change it. */
  quarantined: boolean;
  /** Why, for the tenant's admins and super admins; null for everyone else and when not quarantined. */
  quarantineReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Not a field of either edge: whether this caller may list the package's staged and rejected versions. */
  readsUnreleased: boolean;
  /** The publish policy's DRY_RUN violations the publish that answered this was let through with; empty on every other read. */
  policyViolations: PolicyViolation[];
}

export function toPackageView(scope: Scope, pkg: PackageRecord): PackageView {
  const target = { pkg };
  const unreleased = readsUnreleased(scope, pkg);
  return {
    id: pkg.id,
    tenantId: pkg.tenantId,
    packageId: pkg.packageId,
    name: pkg.name,
    description: pkg.description,
    readme: pkg.readme,
    version: pkg.defaultVersion ?? pkg.latestVersion,
    latestVersion: unreleased ? pkg.latestVersion : pkg.listedVersion,
    authorId: pkg.authorId,
    authorEmail: scope.may('package:readAuthorEmail', target) ? pkg.authorEmail : null,
    visibility: pkg.visibility,
    visibilityGroupIds: scope.may('package:readGroupIds', target) ? [...pkg.visibilityGroupIds] : null,
    sourceFlowId: pkg.sourceFlowId,
    tags: [...pkg.tags],
    nodeTypes: [...pkg.nodeTypes],
    installCount: pkg.installCount,
    revision: pkg.revision,
    quarantined: pkg.quarantine !== null,
    quarantineReason: pkg.quarantine !== null && scope.may('package:readQuarantineReason', target) ? pkg.quarantine.reason : null,
    createdAt: pkg.createdAt,
    updatedAt: pkg.updatedAt,
    readsUnreleased: unreleased,
    policyViolations: [],
  };
}

/**
 * A version as anyone who sees its package may read it: what use cases return for versions
 * (lists, update checks, status changes). Never the publisher's email or where the archive is
 * stored; those stay in `VersionRecord`, inside the module.
 */
export interface VersionView {
  id: string;
  version: string;
  sha256: string;
  sizeBytes: number;
  publisherId: string;
  publishedAt: Date;
  status: VersionStatus;
  statusReason: string | null;
  changelog: string | null;
  nodeTypes: string[];
  installCount: number;
  /** What it needs where it is installed (docs/FLOW-FORMAT.md, "Requirements"). */
  requirements: Requirements;
  /** Its signed provenance statement; null for versions published before statements were signed. */
  provenance: Provenance | null;
}

export function toVersionView(version: VersionRecord): VersionView {
  return {
    id: version.id,
    version: version.version,
    sha256: version.sha256,
    sizeBytes: version.sizeBytes,
    publisherId: version.publisherId,
    publishedAt: version.publishedAt,
    status: version.status,
    statusReason: version.statusReason,
    changelog: version.changelog,
    nodeTypes: [...version.nodeTypes],
    installCount: version.installCount,
    requirements: requirementsOf(version),
    provenance: version.provenance,
  };
}

/** A release channel as anyone who sees its package may read it. */
export interface ChannelView {
  name: string;
  version: string;
  updatedAt: Date;
  updatedBy: string;
}

export function toChannelView(channel: ChannelRecord): ChannelView {
  return { name: channel.name, version: channel.version, updatedAt: channel.updatedAt, updatedBy: channel.updatedBy };
}
