import type { DiffView, EntityKey, PackageView, StatusAction, UpdateView, UsageView, VersionStatusView } from './catalog-ops';

/**
 * The model of test/access-model.spec.ts: the rules of docs/API.md ("Rules", "Version status,
 * default version, updates and diffs" and "Quarantine") and issue 3, written out again in plain TypeScript, with
 * none of the app's code. Each operation answers what the app must answer: the data, or the
 * error code.
 */

export interface Caller {
  name: string;
  tenant: string;
  user: string;
  groups: string[];
  view: boolean;
  manage: boolean;
  tenantAdmin: boolean;
  superAdmin: boolean;
}

// ---------------------------------------------------------------------------------------------
// Versions: `major.minor.patch`, or a release candidate `major.minor.patch-rc.N`.

interface ParsedVersion {
  core: [number, number, number];
  /** The N of `-rc.N`; null for a release. */
  rc: number | null;
}

export function parseVersion(v: string): ParsedVersion {
  const [core, pre] = v.split('-');
  return { core: core!.split('.').map(Number) as [number, number, number], rc: pre === undefined ? null : Number(pre.slice('rc.'.length)) };
}

export const isPrerelease = (v: string) => parseVersion(v).rc !== null;

/** Semantic-version precedence: a release candidate comes before its release. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  const core = x.core[0] - y.core[0] || x.core[1] - y.core[1] || x.core[2] - y.core[2];
  if (core !== 0 || x.rc === y.rc) return core;
  if (x.rc === null) return 1;
  if (y.rc === null) return -1;
  return x.rc - y.rc;
}

/** The auto-bump: a release's patch, a candidate's number (never a candidate into a release). */
function bump(v: string): string {
  const { core, rc } = parseVersion(v);
  return rc === null ? `${core[0]}.${core[1]}.${core[2] + 1}` : `${core.join('.')}-rc.${rc + 1}`;
}

// ---------------------------------------------------------------------------------------------
// Packages and their versions.

export type VersionStatus = 'ACTIVE' | 'DEPRECATED' | 'WITHDRAWN';

export interface ModelVersion {
  version: string;
  status: VersionStatus;
  /** The trimmed reason of the last deprecation or withdrawal; null when active. */
  reason: string | null;
}

export interface ModelPackage {
  uuid: string;
  tenant: string;
  packageId: string;
  authorId: string;
  authorEmail: string;
  /** The highest version ever published, whatever its status. */
  latest: string;
  /** Start of the latest auto-bump chain: republishing any version from here to `latest` bumps it. */
  republishBase: string | null;
  versions: ModelVersion[];
  visibility: 'TENANT' | 'GROUPS';
  groups: string[];
  deleted: boolean;
  /** Frozen by an admin: until released, only the tenant's admins (and super admins) install, publish to or change it. */
  quarantined: boolean;
  auditEvents: number;
}

/** Where each status action leads; a missing entry is ILLEGAL_STATE (restore always goes back to active). */
const NEXT_STATUS: Record<VersionStatus, Partial<Record<StatusAction, VersionStatus>>> = {
  ACTIVE: { deprecate: 'DEPRECATED', withdraw: 'WITHDRAWN' },
  DEPRECATED: { withdraw: 'WITHDRAWN', restore: 'ACTIVE' },
  WITHDRAWN: { restore: 'ACTIVE' },
};

const installable = (v: ModelVersion) => v.status !== 'WITHDRAWN';

/** The longest reason a status change or a quarantine takes (after trimming, in characters). */
const MAX_REASON_LENGTH = 500;

/** A reason as the app keeps it: trimmed, or null when blank or too long (BAD_USER_INPUT). */
function validReason(reason: string): string | null {
  const trimmed = reason.trim();
  const length = [...trimmed].length;
  return length === 0 || length > MAX_REASON_LENGTH ? null : trimmed;
}

/** The highest of the versions, or null. */
const highest = (versions: readonly ModelVersion[]) =>
  versions
    .map((v) => v.version)
    .sort(compareVersions)
    .at(-1) ?? null;

/** What an install without a version gets: the highest installable release, else prerelease, else none. */
export function defaultVersion(p: ModelPackage): string | null {
  const candidates = p.versions.filter(installable);
  return highest(candidates.filter((v) => !isPrerelease(v.version))) ?? highest(candidates);
}

export type Expected<T> = { ok: true; data: T } | { ok: false; code: string };
const fail = (code: string): Expected<never> => ({ ok: false, code });
const ok = <T>(data: T): Expected<T> => ({ ok: true, data });
/** Where the model cannot know the value (a new package's uuid): taken from the app's answer. */
export const NEW_UUID = '<new>';

/** An installed copy `catalogUpdates` asks about; `tenantId` null means the caller's tenant. */
export interface InstalledCopy {
  tenantId: string | null;
  packageId: string;
  version: string;
}

export type ModelUsage = Omit<UsageView, 'bytes' | 'limits'>;

export class CatalogModel {
  readonly packages = new Map<string, ModelPackage>();
  auditEvents = 0;

  constructor(readonly prefix: string) {}

  packageId(slot: number): string {
    return `${this.prefix}-p${slot}`;
  }

  find(tenant: string, packageId: string): ModelPackage | undefined {
    return this.packages.get(`${tenant}/${packageId}`);
  }

  /**
   * Admins of a tenant see every live package of it, whatever its groups and versions. A package
   * with nothing installable (every version withdrawn) is left to its author and admins.
   */
  visible(c: Caller, p: ModelPackage): boolean {
    if (p.deleted) return false;
    if (this.isAdminOf(c, p.tenant)) return true;
    if (c.tenant !== p.tenant) return false;
    if (p.authorId === c.user) return true;
    if (defaultVersion(p) === null) return false;
    return p.visibility === 'TENANT' || (p.visibility === 'GROUPS' && p.groups.some((g) => c.groups.includes(g)));
  }

  isAdminOf(c: Caller, tenant: string): boolean {
    return c.superAdmin || (c.tenantAdmin && c.tenant === tenant);
  }

  mayChange(c: Caller, p: ModelPackage): boolean {
    return this.isAdminOf(c, p.tenant) || (c.tenant === p.tenant && p.authorId === c.user);
  }

  /** Whether the package's quarantine refuses this caller's install, pre-flight, publish or change: everyone but its admins. */
  frozenFor(c: Caller, p: ModelPackage): boolean {
    return p.quarantined && !this.isAdminOf(c, p.tenant);
  }

  view(c: Caller, p: ModelPackage): PackageView {
    return {
      id: p.uuid,
      tenantId: p.tenant,
      packageId: p.packageId,
      name: p.packageId,
      version: defaultVersion(p) ?? p.latest,
      latestVersion: p.latest,
      authorId: p.authorId,
      authorEmail: c.tenant === p.tenant || c.superAdmin ? p.authorEmail : null,
      visibility: p.visibility,
      visibilityGroupIds: this.mayChange(c, p) ? p.groups : null,
    };
  }

  /** The tenant an operation acts in, or null (FORBIDDEN) for a non super admin naming another tenant. */
  private target(c: Caller, tenantArg: string | null): string | null {
    if (tenantArg === null || tenantArg === c.tenant) return c.tenant;
    return c.superAdmin ? tenantArg : null;
  }

  /** The package a read or change acts on, as the caller may reach it: a visible one, or the error. */
  private reach(c: Caller, permission: boolean, tenantArg: string | null, packageId: string): Expected<ModelPackage> {
    if (!permission) return fail('FORBIDDEN');
    const tenant = this.target(c, tenantArg);
    if (tenant === null) return fail('FORBIDDEN');
    const p = this.find(tenant, packageId);
    return p && this.visible(c, p) ? ok(p) : fail('NOT_FOUND');
  }

  /**
   * A change needs a package the caller sees (else NOT_FOUND), the right to change it (else
   * FORBIDDEN) and, while it is quarantined, to be one of its admins (else PACKAGE_QUARANTINED).
   */
  private reachToChange(c: Caller, tenantArg: string | null, packageId: string): Expected<ModelPackage> {
    const reached = this.reach(c, c.manage, tenantArg, packageId);
    if (reached.ok && !this.mayChange(c, reached.data)) return fail('FORBIDDEN');
    if (reached.ok && this.frozenFor(c, reached.data)) return fail('PACKAGE_QUARANTINED');
    return reached;
  }

  /**
   * Quarantine and release: no token permission, only the package's admins (FORBIDDEN for others
   * who see it, NOT_FOUND for those who do not).
   */
  private reachAsAdmin(c: Caller, tenantArg: string | null, packageId: string): Expected<ModelPackage> {
    const reached = this.reach(c, true, tenantArg, packageId);
    if (reached.ok && !this.isAdminOf(c, reached.data.tenant)) return fail('FORBIDDEN');
    return reached;
  }

  private record(p: ModelPackage): void {
    p.auditEvents += 1;
    this.auditEvents += 1;
  }

  publish(c: Caller, packageId: string, requested: string): Expected<PackageView> {
    if (!c.manage) return fail('FORBIDDEN');
    const existing = this.find(c.tenant, packageId);
    if (!existing) {
      const p: ModelPackage = {
        uuid: NEW_UUID,
        tenant: c.tenant,
        packageId,
        authorId: c.user,
        authorEmail: `${c.user}@example.test`,
        latest: requested,
        republishBase: null,
        versions: [{ version: requested, status: 'ACTIVE', reason: null }],
        visibility: 'TENANT',
        groups: [],
        deleted: false,
        quarantined: false,
        auditEvents: 0,
      };
      this.packages.set(`${c.tenant}/${packageId}`, p);
      this.record(p);
      return ok(this.view(c, p));
    }
    if (!this.mayChange(c, existing)) return fail(this.visible(c, existing) ? 'FORBIDDEN' : 'NOT_FOUND');
    // Deleted or not: a deleted package keeps its quarantine, and a republish would revive it.
    if (this.frozenFor(c, existing)) return fail('PACKAGE_QUARANTINED');
    const base = existing.republishBase;
    const order = compareVersions(requested, existing.latest);
    if (base !== null && compareVersions(base, requested) <= 0 && order <= 0) {
      existing.latest = bump(existing.latest); // a version of the latest auto-bump chain again
    } else if (order > 0) {
      [existing.latest, existing.republishBase] = [requested, null];
    } else if (order === 0) {
      [existing.latest, existing.republishBase] = [bump(existing.latest), requested];
    } else {
      return fail('VERSION_REGRESSION');
    }
    existing.versions.push({ version: existing.latest, status: 'ACTIVE', reason: null });
    existing.deleted = false;
    this.record(existing);
    return ok(this.view(c, existing));
  }

  setVisibility(c: Caller, tenantArg: string | null, packageId: string, visibility: 'TENANT' | 'GROUPS', groups: string[]): Expected<PackageView> {
    if (!c.manage) return fail('FORBIDDEN');
    if (this.target(c, tenantArg) === null) return fail('FORBIDDEN');
    const unique = visibility === 'GROUPS' ? [...new Set(groups)] : [];
    if (visibility === 'GROUPS' && unique.length === 0) return fail('BAD_USER_INPUT');
    const reached = this.reachToChange(c, tenantArg, packageId);
    if (!reached.ok) return reached;
    const p = reached.data;
    p.visibility = visibility;
    p.groups = unique;
    this.record(p);
    return ok(this.view(c, p));
  }

  delete(c: Caller, tenantArg: string | null, packageId: string): Expected<boolean> {
    const reached = this.reachToChange(c, tenantArg, packageId);
    if (!reached.ok) return reached;
    reached.data.deleted = true;
    this.record(reached.data);
    return ok(true);
  }

  /**
   * Deprecate or withdraw (with a reason: trimmed, not blank) or restore one version; every
   * change is audited and may move the package's default version, and with it who sees it.
   */
  changeStatus(c: Caller, action: StatusAction, tenantArg: string | null, packageId: string, version: string, reason: string): Expected<VersionStatusView> {
    if (!c.manage) return fail('FORBIDDEN');
    if (this.target(c, tenantArg) === null) return fail('FORBIDDEN');
    const statusReason = action === 'restore' ? null : validReason(reason);
    if (action !== 'restore' && statusReason === null) return fail('BAD_USER_INPUT'); // checked before the package is looked up
    const reached = this.reachToChange(c, tenantArg, packageId);
    if (!reached.ok) return reached;
    const v = reached.data.versions.find((w) => w.version === version);
    if (!v) return fail('NOT_FOUND');
    const next = NEXT_STATUS[v.status][action];
    if (!next) return fail('ILLEGAL_STATE');
    [v.status, v.reason] = [next, statusReason];
    this.record(reached.data);
    return ok({ version, status: next, statusReason });
  }

  /**
   * Freezes a package (a reason of 1 to 500 characters, checked before the package is looked up):
   * for its admins only; a quarantined one is ILLEGAL_STATE. Nothing else of it moves.
   */
  quarantine(c: Caller, tenantArg: string | null, packageId: string, reason: string): Expected<PackageView> {
    if (this.target(c, tenantArg) === null) return fail('FORBIDDEN');
    if (validReason(reason) === null) return fail('BAD_USER_INPUT');
    const reached = this.reachAsAdmin(c, tenantArg, packageId);
    if (!reached.ok) return reached;
    if (reached.data.quarantined) return fail('ILLEGAL_STATE');
    reached.data.quarantined = true;
    this.record(reached.data);
    return ok(this.view(c, reached.data));
  }

  /** Lifts a quarantine: for the package's admins only; one that is not quarantined is ILLEGAL_STATE. */
  release(c: Caller, tenantArg: string | null, packageId: string): Expected<PackageView> {
    const reached = this.reachAsAdmin(c, tenantArg, packageId);
    if (!reached.ok) return reached;
    if (!reached.data.quarantined) return fail('ILLEGAL_STATE');
    reached.data.quarantined = false;
    this.record(reached.data);
    return ok(this.view(c, reached.data));
  }

  /** A withdrawn version is never served; a package with nothing installable has no default to install. */
  install(c: Caller, tenantArg: string | null, packageId: string, version: string | null) {
    const reached = this.reachVersion(c, tenantArg, packageId, version, 'install');
    if (!reached.ok) return reached;
    const { p, v } = reached.data;
    this.record(p);
    // The lineage: the package's tenant and the archive's sha256 (not modelled).
    return ok({
      tenantId: p.tenant,
      packageId,
      name: p.packageId,
      version: v.version,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
      authorEmail: this.view(c, p).authorEmail,
      deprecation: v.status === 'DEPRECATED' ? { reason: v.reason } : null,
    });
  }

  /**
   * The pre-flight of an install reaches the same version under the same rules, and writes nothing.
   * In an environment with no node types, a version is never installable (every flow has a node).
   */
  installCheck(c: Caller, tenantArg: string | null, packageId: string, version: string | null) {
    const reached = this.reachVersion(c, tenantArg, packageId, version, 'preflight');
    return reached.ok ? ok({ version: reached.data.v.version, installable: false }) : reached;
  }

  /**
   * The version an install serves (default: the default version): never a withdrawn one, and
   * none of a quarantined package but to its admins. The pre-flight refuses a quarantined package
   * before it looks for the version; the install only once the version was found.
   */
  private reachVersion(
    c: Caller,
    tenantArg: string | null,
    packageId: string,
    version: string | null,
    kind: 'install' | 'preflight',
  ): Expected<{ p: ModelPackage; v: ModelVersion }> {
    const reached = this.reach(c, c.view, tenantArg, packageId);
    if (!reached.ok) return reached;
    const p = reached.data;
    if (kind === 'preflight' && this.frozenFor(c, p)) return fail('PACKAGE_QUARANTINED');
    const v = p.versions.find((w) => w.version === (version ?? defaultVersion(p)));
    if (!v) return fail('NOT_FOUND');
    if (kind === 'install' && this.frozenFor(c, p)) return fail('PACKAGE_QUARANTINED');
    if (v.status === 'WITHDRAWN') return fail('VERSION_WITHDRAWN');
    return ok({ p, v });
  }

  /**
   * What upgrading a copy of `from` to the default version would give: visibility as in
   * `catalogUpdates` (any tenant may be named; what the caller may not see is NOT_FOUND, or null in
   * bulk); an unknown `from` or no default version is NOT_FOUND; a default below `from` is refused.
   * Every version here has the same flow, so an unedited copy is STALE or UP_TO_DATE.
   */
  upgradePreview(c: Caller, tenantArg: string | null, packageId: string, from: string, bulk: boolean) {
    if (!c.view) return fail('FORBIDDEN');
    const p = this.find(tenantArg ?? c.tenant, packageId);
    if (!p || !this.visible(c, p)) return bulk ? ok(null) : fail('NOT_FOUND');
    const to = defaultVersion(p);
    if (!p.versions.some((v) => v.version === from) || to === null) return fail('NOT_FOUND');
    if (compareVersions(to, from) < 0) return fail('BAD_USER_INPUT');
    return ok({ fromVersion: from, toVersion: to, state: to === from ? 'UP_TO_DATE' : 'STALE' });
  }

  get(c: Caller, tenantArg: string | null, packageId: string): Expected<PackageView | null> {
    const reached = this.reach(c, c.view, tenantArg, packageId);
    if (!reached.ok && reached.code === 'NOT_FOUND') return ok(null);
    return reached.ok ? ok(this.view(c, reached.data)) : reached;
  }

  list(c: Caller): Expected<PackageView[]> {
    if (!c.view) return fail('FORBIDDEN');
    return ok([...this.packages.values()].filter((p) => this.visible(c, p)).map((p) => this.view(c, p)));
  }

  entities(c: Caller, keys: EntityKey[]): Expected<(PackageView | null)[]> {
    const all = [...this.packages.values()];
    return ok(
      keys.map((key) => {
        const p = typeof key === 'string' ? all.find((q) => q.uuid === key) : this.find(key.tenantId, key.packageId);
        return c.view && p && this.visible(c, p) ? this.view(c, p) : null;
      }),
    );
  }

  auditTrail(c: Caller, tenantArg: string | null, packageId: string): Expected<number> {
    if (!c.view) return fail('FORBIDDEN');
    const tenant = this.target(c, tenantArg);
    if (tenant === null) return fail('FORBIDDEN');
    const p = this.find(tenant, packageId);
    if (!p) return fail('NOT_FOUND');
    if (!this.mayChange(c, p)) return fail(this.visible(c, p) ? 'FORBIDDEN' : 'NOT_FOUND');
    return ok(p.auditEvents);
  }

  /**
   * `catalogUpdates`: a package the caller may not see answers exactly like an unknown one, so an
   * input may name any tenant. A copy at a release is offered releases; one at a prerelease, every
   * newer installable version.
   */
  updates(c: Caller, installed: InstalledCopy[]): Expected<UpdateView[]> {
    if (!c.view) return fail('FORBIDDEN');
    if (installed.some((copy) => !/^\d+\.\d+\.\d+(-rc\.\d+)?$/.test(copy.version))) return fail('BAD_USER_INPUT');
    return ok(
      installed.map(({ tenantId, packageId, version }) => {
        const p = this.find(tenantId ?? c.tenant, packageId);
        const seen = p && this.visible(c, p) ? p : null;
        const versions = seen?.versions ?? [];
        const followsPrereleases = isPrerelease(version);
        const offered = versions
          .filter((v) => installable(v) && (followsPrereleases || !isPrerelease(v.version)))
          .sort((a, b) => compareVersions(b.version, a.version));
        const newer = offered.filter((v) => compareVersions(v.version, version) > 0);
        return {
          packageId,
          installedVersion: version,
          latestVersion: seen && (followsPrereleases ? (offered[0]?.version ?? null) : defaultVersion(seen)),
          updateAvailable: newer.length > 0,
          installedStatus: versions.find((v) => v.version === version)?.status ?? null,
          newerVersions: newer.map((v) => ({ version: v.version, status: v.status })),
        };
      }),
    );
  }

  /** Withdrawn versions are compared only for their author and admins; every version of a package here has the same flow. */
  diff(c: Caller, tenantArg: string | null, packageId: string, from: string, to: string): Expected<DiffView> {
    const reached = this.reach(c, c.view, tenantArg, packageId);
    if (!reached.ok) return reached;
    const versions = [from, to].map((version) => reached.data.versions.find((v) => v.version === version));
    if (!versions.every(Boolean)) return fail('NOT_FOUND');
    if (versions.some((v) => v!.status === 'WITHDRAWN') && !this.mayChange(c, reached.data)) return fail('VERSION_WITHDRAWN');
    return ok({ from, to, nodesAdded: [], nodesRemoved: [], nodesChanged: [], edgesAdded: [], edgesRemoved: [] });
  }

  /** `catalogUsage`: for admins of the tenant (and super admins); deleted packages keep counting. */
  usage(c: Caller, tenantArg: string | null): Expected<ModelUsage> {
    const tenant = tenantArg ?? c.tenant;
    if (!this.isAdminOf(c, tenant)) return fail('FORBIDDEN');
    const ofTenant = [...this.packages.values()].filter((p) => p.tenant === tenant);
    return ok({ packages: ofTenant.length, versions: ofTenant.reduce((n, p) => n + p.versions.length, 0) });
  }
}
