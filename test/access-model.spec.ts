import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { flowContent } from './support/flows';
import {
  CatalogModel,
  defaultVersion,
  NEW_UUID,
  parseVersion,
  type Caller,
  type Expected,
  type InstalledCopy,
  type ModelPackage,
} from './support/access-model';
import { auditEventCount, catalogOps, type CatalogOps, type Outcome, type EntityKey, type PackageView, type StatusAction } from './support/catalog-ops';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Model-based test of who may see and change what (issues 3 and 13): random sequences of
 * commands by random callers run against the real app over HTTP and against `CatalogModel`
 * (test/support/access-model.ts), a plain in-memory statement of the rules. Every response must
 * match the model exactly: error code, default and latest version, visibility, field-level nulls,
 * the set of listed packages, version statuses, update checks, usage and the audit event count.
 * Admins quarantine and release packages, so installs, pre-flights, publishes and changes by
 * everyone else meet quarantined packages too (docs/API.md, "Quarantine").
 *
 * MODEL_RUNS (sequences), MODEL_STEPS (most commands per sequence) and MODEL_SEED tune a run.
 */

const RUNS = Number(process.env.MODEL_RUNS ?? 120);
const MAX_STEPS = Number(process.env.MODEL_STEPS ?? 60);
const SEED = process.env.MODEL_SEED ? Number(process.env.MODEL_SEED) : undefined;

const TENANTS = [uniqueTenant('m0'), uniqueTenant('m1'), uniqueTenant('m2')];
const GROUPS = ['g0', 'g1', 'g2', 'g3'];
const PACKAGE_SLOTS = 3;

// ---------------------------------------------------------------------------------------------
// Callers, in every tenant and with the same user names (an author id alone must not grant
// anything across tenants): alice, a member in no group; bob, carol and dave, members of groups;
// admin, a tenant admin in g0; viewer, view only; manager, manage only; root, a super admin
// (in two of the three tenants). A command's caller may also be `author@N`: the author of its
// package in tenant N, whoever that is when the command runs.

const CALLERS: Caller[] = TENANTS.flatMap((tenant, i) => {
  const kind = (user: string, extra: Partial<Caller> = {}): Caller => ({
    name: `${user}@${i}`,
    tenant,
    user,
    groups: [],
    view: true,
    manage: true,
    tenantAdmin: false,
    superAdmin: false,
    ...extra,
  });
  return [
    kind('alice'),
    kind('bob', { groups: ['g0', 'g1'] }),
    kind('carol', { groups: ['g2'] }),
    kind('dave', { groups: ['g3', 'g1'] }),
    kind('admin', { groups: ['g0'], tenantAdmin: true }),
    kind('viewer', { groups: ['g0', 'g2'], manage: false }),
    kind('manager', { groups: ['g1'], view: false }),
    ...(i === 1 ? [] : [kind('root', { superAdmin: true })]),
  ];
});

// ---------------------------------------------------------------------------------------------
// The real system and the commands.

interface Real {
  ops: CatalogOps;
  t: TestApp;
  tokens: Map<string, string>;
}

let steps = 0;
let sequences = 0;
/** How often each command got each answer: shows that every path is exercised. */
const outcomes = new Map<string, number>();

const label = (expected: Expected<unknown>) => (expected.ok ? 'ok' : expected.code);
const errorOnly = <T>(outcome: Outcome<T>): Expected<T> => (outcome.ok ? outcome : { ok: false, code: outcome.code });
const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

/** Whether the caller may not see the package only because nothing of it is installable (for the histogram). */
function hiddenForNothingInstallable(model: CatalogModel, caller: Caller, p: ModelPackage | undefined): boolean {
  if (!p || defaultVersion(p) !== null) return false;
  return !model.visible(caller, p) && model.visible(caller, { ...p, versions: [{ version: p.latest, status: 'ACTIVE', reason: null }] });
}

/**
 * A random caller, the author of the command's package in a tenant (so that authors act often), or
 * the tenant admin of the n-th live package (counting wraps) with that package as the command's:
 * so that quarantines and releases find a package to act on.
 */
type Who = Caller | { authorIn: number } | { adminOf: number };

/**
 * A package slot, or the n-th slot (counting wraps) that holds a package in the tenant the command
 * looks in, when it has any: so that commands on versions mostly find a package.
 */
type SlotRef = number | { existing: number };

interface Step {
  caller: Caller;
  token: string;
  packageId: string;
  /** The `tenantId` argument, when the command names a tenant. */
  tenantId: string | null;
}

abstract class Command implements fc.AsyncCommand<CatalogModel, Real> {
  constructor(
    readonly who: Who,
    readonly slot: SlotRef = 0,
    readonly tenantArg: number | null = null,
  ) {}
  check = () => true;

  /** Runs the command on both sides, checks that the answers match, and names the outcome (for the histogram). */
  abstract act(model: CatalogModel, real: Real, step: Step): Promise<string>;

  async run(model: CatalogModel, real: Real): Promise<void> {
    steps += 1;
    const tenantId = this.tenantArg === null ? null : TENANTS[this.tenantArg]!;
    const { caller, slot } = this.resolve(model, tenantId);
    const packageId = model.packageId(slot);
    const auditBefore = model.auditEvents;
    const outcome = await this.act(model, real, { caller, token: real.tokens.get(caller.name)!, packageId, tenantId });
    const key = `${this.constructor.name} ${outcome}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    // Exactly one audit event per successful change or install, none for anything else.
    if (model.auditEvents !== auditBefore || steps % 10 === 0) expect(await auditEventCount(real.t)).toBe(model.auditEvents);
  }

  /** The caller and the slot of the package: `author@N` is the author of the package in tenant N. */
  private resolve(model: CatalogModel, tenantId: string | null): { caller: Caller; slot: number } {
    if ('adminOf' in this.who) return this.adminOf(model, this.who.adminOf);
    if (!('authorIn' in this.who)) return { caller: this.who, slot: this.slotIn(model, tenantId ?? this.who.tenant) };
    const tenant = TENANTS[this.who.authorIn]!;
    const slot = this.slotIn(model, tenant);
    const p = model.find(tenant, model.packageId(slot));
    return { caller: CALLERS.find((c) => p && c.tenant === p.tenant && c.user === p.authorId) ?? CALLERS[0]!, slot };
  }

  /** `admin@N` of the n-th live package's tenant N, and that package's slot (with none: the admin of the first tenant, and the command's slot). */
  private adminOf(model: CatalogModel, n: number): { caller: Caller; slot: number } {
    const live = [...model.packages.values()].filter((p) => !p.deleted);
    const p = live[n % Math.max(live.length, 1)];
    const tenant = p?.tenant ?? TENANTS[0]!;
    const caller = CALLERS.find((c) => c.tenant === tenant && c.tenantAdmin)!;
    const slot = p ? [...Array(PACKAGE_SLOTS).keys()].find((s) => model.packageId(s) === p.packageId)! : this.slotIn(model, tenant);
    return { caller, slot };
  }

  private slotIn(model: CatalogModel, tenant: string): number {
    if (typeof this.slot === 'number') return this.slot;
    const taken = [...Array(PACKAGE_SLOTS).keys()].filter((slot) => model.find(tenant, model.packageId(slot)));
    return taken.length > 0 ? taken[this.slot.existing % taken.length]! : this.slot.existing % PACKAGE_SLOTS;
  }

  /** What `toString` shows after the caller: by default the package slot and the tenant argument. */
  protected details(): unknown[] {
    return [typeof this.slot === 'number' ? `p${this.slot}` : `existing#${this.slot.existing}`, `tenantArg=${this.tenantArg}`];
  }

  toString(): string {
    const who = 'authorIn' in this.who ? `author@${this.who.authorIn}` : 'adminOf' in this.who ? `admin of live#${this.who.adminOf}` : this.who.name;
    return `${this.constructor.name}(${[who, ...this.details()].join(', ')})`;
  }
}

/**
 * The latest again, a higher release, a higher release candidate, an explicit one, or one the
 * package had before (`ago` publishes back).
 */
type VersionChoice = 'same' | 'higher' | 'candidate' | { exactly: string } | { ago: number };

class Publish extends Command {
  constructor(
    who: Who,
    slot: number,
    readonly choice: VersionChoice,
  ) {
    super(who, slot);
  }
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId }: Step) {
    const before = model.find(caller.tenant, packageId);
    const kind = !before ? 'new' : before.deleted ? 'revive' : 'republish';
    const latest = before?.latest ?? null;
    const [major, minor] = parseVersion(latest ?? '1.0.0').core;
    const versions = before?.versions.map((v) => v.version) ?? ['1.0.0'];
    const requested =
      this.choice === 'same'
        ? (latest ?? '1.0.0')
        : this.choice === 'higher'
          ? `${major}.${minor + 1}.0`
          : this.choice === 'candidate'
            ? `${major}.${minor + 1}.0-rc.0`
            : 'ago' in this.choice
              ? versions[Math.max(0, versions.length - 1 - this.choice.ago)]!
              : this.choice.exactly;
    const expected = model.publish(caller, packageId, requested);
    const actual = errorOnly(await ops.publish(token, { packageId, version: requested, content: flowContent(packageId) }));
    if (expected.ok && expected.data.id === NEW_UUID && actual.ok) {
      // A new package: its id is the app's to choose, but it must be one never seen before.
      expect([...model.packages.values()].some((p) => p.uuid === actual.data.id)).toBe(false);
      model.find(caller.tenant, packageId)!.uuid = actual.data.id;
      expected.data.id = actual.data.id;
    }
    expect(actual).toEqual(expected);
    if (!expected.ok) return label(expected);
    return `ok ${kind}${expected.data.latestVersion === requested ? '' : ' (bumped)'}${quarantinedNote(model, caller.tenant, packageId)}`;
  }
  protected override details() {
    return [`p${this.slot}`, JSON.stringify(this.choice)];
  }
}

class SetVisibility extends Command {
  constructor(
    who: Who,
    slot: number,
    tenantArg: number | null,
    readonly visibility: 'TENANT' | 'GROUPS',
    readonly groups: string[],
  ) {
    super(who, slot, tenantArg);
  }
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId, tenantId }: Step) {
    const expected = model.setVisibility(caller, tenantId, packageId, this.visibility, this.groups);
    expect(errorOnly(await ops.setVisibility(token, packageId, this.visibility, this.groups, tenantId ?? undefined))).toEqual(expected);
    return label(expected);
  }
  protected override details() {
    return [...super.details(), this.visibility, `[${this.groups}]`];
  }
}

class Delete extends Command {
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId, tenantId }: Step) {
    const expected = model.delete(caller, tenantId, packageId);
    expect(errorOnly(await ops.delete(token, packageId, tenantId ?? undefined))).toEqual(expected);
    return label(expected);
  }
}

/** An admin's freeze of a package, with a reason (a blank or too long one is BAD_USER_INPUT). */
class Quarantine extends Command {
  constructor(
    who: Who,
    slot: SlotRef,
    tenantArg: number | null,
    readonly reason: string,
  ) {
    super(who, slot, tenantArg);
  }
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId, tenantId }: Step) {
    const expected = model.quarantine(caller, tenantId, packageId, this.reason);
    expect(errorOnly(await ops.quarantine(token, packageId, this.reason, tenantId ?? undefined))).toEqual(expected);
    return label(expected);
  }
  protected override details() {
    return [...super.details(), JSON.stringify(this.reason.length > 40 ? `${this.reason.slice(0, 10)}… (${this.reason.length})` : this.reason)];
  }
}

/** Lifts a quarantine. */
class Release extends Command {
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId, tenantId }: Step) {
    const expected = model.release(caller, tenantId, packageId);
    expect(errorOnly(await ops.release(token, packageId, tenantId ?? undefined))).toEqual(expected);
    return label(expected);
  }
}

/** Whether the package the command acted on was quarantined (for the histogram: an admin's install or publish of one succeeds). */
function quarantinedNote(model: CatalogModel, tenant: string, packageId: string): string {
  return model.find(tenant, packageId)?.quarantined ? ' (quarantined)' : '';
}

/**
 * A version of a package: `n` versions back from its newest one (0 is the newest, counting
 * wraps), its newest deprecated or withdrawn one (else its newest), or one given exactly (one it
 * never had, say).
 */
type VersionRef = number | 'changed' | { exactly: string };

function versionOf(p: ModelPackage | undefined, ref: VersionRef): string {
  if (typeof ref === 'object') return ref.exactly;
  const versions = p?.versions ?? [];
  if (ref === 'changed') return versions.findLast((v) => v.status !== 'ACTIVE')?.version ?? versions.at(-1)?.version ?? '1.0.0';
  return versions[versions.length - 1 - (ref % Math.max(versions.length, 1))]?.version ?? '1.0.0';
}

class Install extends Command {
  /** version: null for the default one; `withValues`: the install with (no) parameter values, under the same rules. */
  constructor(
    who: Who,
    slot: SlotRef,
    tenantArg: number | null,
    readonly version: VersionRef | null,
    readonly withValues = false,
  ) {
    super(who, slot, tenantArg);
  }
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId, tenantId }: Step) {
    const version = this.version === null ? null : versionOf(model.find(tenantId ?? caller.tenant, packageId), this.version);
    const expected = model.install(caller, tenantId, packageId, version);
    const values = this.withValues ? { parameters: {} } : {};
    const actual = errorOnly(await ops.install(token, packageId, { version: version ?? undefined, tenantId: tenantId ?? undefined, ...values }));
    expect(actual.ok ? { ok: true, data: actual.data.metadata } : actual).toEqual(expected);
    if (actual.ok) expect(actual.data.flow).toMatchObject({ name: `Copy of ${packageId}` });
    if (expected.ok) return `${expected.data.deprecation ? 'ok (deprecated)' : 'ok'}${quarantinedNote(model, tenantId ?? caller.tenant, packageId)}`;
    if (expected.code !== 'NOT_FOUND') return expected.code;
    const p = model.find(tenantId ?? caller.tenant, packageId);
    if (version === null && p && defaultVersion(p) === null && model.visible(caller, p)) return 'NOT_FOUND (no default version)';
    return hiddenForNothingInstallable(model, caller, p) ? 'NOT_FOUND (nothing installable)' : 'NOT_FOUND';
  }
  protected override details() {
    return [...super.details(), `version=${JSON.stringify(this.version)}`, ...(this.withValues ? ['withValues'] : [])];
  }
}

/** The pre-flight of an install, in an environment that has nothing. */
class InstallCheck extends Command {
  constructor(
    who: Who,
    slot: SlotRef,
    tenantArg: number | null,
    readonly version: VersionRef | null,
  ) {
    super(who, slot, tenantArg);
  }
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId, tenantId }: Step) {
    const version = this.version === null ? null : versionOf(model.find(tenantId ?? caller.tenant, packageId), this.version);
    const expected = model.installCheck(caller, tenantId, packageId, version);
    const options = { version: version ?? undefined, tenantId: tenantId ?? undefined };
    const actual = errorOnly(await ops.installCheck(token, packageId, { nodeTypes: [], credentials: [] }, options));
    expect(actual.ok ? { ok: true, data: { version: actual.data.version, installable: actual.data.installable } } : actual).toEqual(expected);
    if (actual.ok) expect(actual.data.problems.map((problem) => problem.code)).toContain('MISSING_NODE_TYPE');
    return label(expected);
  }
  protected override details() {
    return [...super.details(), `version=${JSON.stringify(this.version)}`];
  }
}

/** The upgrade preview of an unedited copy of some version to the default one, alone or in a bulk call. */
class UpgradePreview extends Command {
  constructor(
    who: Who,
    slot: SlotRef,
    tenantArg: number | null,
    readonly version: VersionRef,
    readonly bulk: boolean,
  ) {
    super(who, slot, tenantArg);
  }
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId, tenantId }: Step) {
    const fromVersion = versionOf(model.find(tenantId ?? caller.tenant, packageId), this.version);
    const expected = model.upgradePreview(caller, tenantId, packageId, fromVersion, this.bulk);
    const input = { packageId, fromVersion, tenantId: tenantId ?? undefined, copy: flowContent(packageId) };
    const actual = this.bulk ? await ops.upgradePreviews(token, [input]) : await ops.upgradePreview(token, input);
    const answer = actual.ok ? { ok: true, data: Array.isArray(actual.data) ? actual.data[0] : actual.data } : { ok: false, code: actual.code };
    expect(
      answer.ok && answer.data
        ? { ok: true, data: { fromVersion: answer.data.fromVersion, toVersion: answer.data.toVersion, state: answer.data.state } }
        : answer,
    ).toEqual(expected);
    return `${this.bulk ? 'bulk ' : ''}${expected.ok && expected.data === null ? 'null' : label(expected)}`;
  }
  protected override details() {
    return [...super.details(), `version=${JSON.stringify(this.version)}`, ...(this.bulk ? ['bulk'] : [])];
  }
}

/** Deprecate, withdraw or restore one version (restore sends no reason). */
class ChangeStatus extends Command {
  constructor(
    who: Who,
    slot: SlotRef,
    tenantArg: number | null,
    readonly action: StatusAction,
    readonly version: VersionRef,
    readonly reason: string,
  ) {
    super(who, slot, tenantArg);
  }
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId, tenantId }: Step) {
    const version = versionOf(model.find(tenantId ?? caller.tenant, packageId), this.version);
    const expected = model.changeStatus(caller, this.action, tenantId, packageId, version, this.reason);
    const args = { packageId, version, reason: this.reason, tenantId: tenantId ?? undefined };
    expect(errorOnly(await ops.changeVersionStatus(token, this.action, args))).toEqual(expected);
    return `${this.action} ${label(expected)}`;
  }
  protected override details() {
    return [...super.details(), this.action, `version=${JSON.stringify(this.version)}`, JSON.stringify(this.reason)];
  }
}

/** The installed copy `catalogUpdates` asks about: the package of a slot in the caller's or a named tenant, at some version. */
interface CopyRef {
  tenant: number | null;
  slot: number;
  version: VersionRef;
}

/** `catalogUpdates` for a few copies: a package the caller may not see must answer like an unknown one. */
class Updates extends Command {
  constructor(
    who: Who,
    readonly copies: CopyRef[],
  ) {
    super(who, copies[0]!.slot);
  }
  async act(model: CatalogModel, { ops }: Real, { caller, token }: Step) {
    const installed = this.copies.map(({ tenant, slot, version }): InstalledCopy => {
      const tenantId = tenant === null ? null : TENANTS[tenant]!;
      const packageId = model.packageId(slot);
      return { tenantId, packageId, version: versionOf(model.find(tenantId ?? caller.tenant, packageId), version) };
    });
    const expected = model.updates(caller, installed);
    const asked = installed.map((copy) => (copy.tenantId === null ? { packageId: copy.packageId, version: copy.version } : copy));
    expect(errorOnly(await ops.updates(token, asked))).toEqual(expected);
    // Whether an answer had to hide a live package the caller may not see.
    const hidden = installed.some((copy) => {
      const p = model.find(copy.tenantId ?? caller.tenant, copy.packageId);
      return p && !p.deleted && !model.visible(caller, p);
    });
    return expected.ok && hidden ? 'ok (hides a package)' : label(expected);
  }
  protected override details() {
    return [JSON.stringify(this.copies)];
  }
}

/** `catalogPackageDiff`: NOT_FOUND for a package the caller may not see, as for an unknown version. */
class Diff extends Command {
  constructor(
    who: Who,
    slot: SlotRef,
    tenantArg: number | null,
    readonly from: VersionRef,
    readonly to: VersionRef,
  ) {
    super(who, slot, tenantArg);
  }
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId, tenantId }: Step) {
    const p = model.find(tenantId ?? caller.tenant, packageId);
    const [from, to] = [versionOf(p, this.from), versionOf(p, this.to)];
    const expected = model.diff(caller, tenantId, packageId, from, to);
    expect(errorOnly(await ops.diff(token, packageId, from, to, tenantId ?? undefined))).toEqual(expected);
    return label(expected);
  }
  protected override details() {
    return [...super.details(), `from=${JSON.stringify(this.from)}`, `to=${JSON.stringify(this.to)}`];
  }
}

/** `catalogUsage` of the caller's or a named tenant: for its admins; bytes are the archives' sizes as stored. */
class Usage extends Command {
  async act(model: CatalogModel, { ops, t }: Real, { caller, token, tenantId }: Step) {
    const expected = model.usage(caller, tenantId);
    const actual = errorOnly(await ops.usage(token, tenantId ?? undefined));
    if (!expected.ok) {
      expect(actual).toEqual(expected);
      return label(expected);
    }
    const { packagesPerTenant, bytesPerTenant, versionsPerPackage } = t.config.quotas;
    const bytes = await archiveBytes(t, tenantId ?? caller.tenant);
    expect(actual).toEqual({ ok: true, data: { ...expected.data, bytes, limits: { packages: packagesPerTenant, bytes: bytesPerTenant, versionsPerPackage } } });
    return label(expected);
  }
  protected override details() {
    return [`tenantArg=${this.tenantArg}`];
  }
}

class Get extends Command {
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId, tenantId }: Step) {
    const expected = model.get(caller, tenantId, packageId);
    expect(errorOnly(await ops.get(token, packageId, tenantId ?? undefined))).toEqual(expected);
    if (!expected.ok || expected.data !== null) return label(expected);
    // Hidden only because nothing of it is installable: with one active version it would be visible.
    return hiddenForNothingInstallable(model, caller, model.find(tenantId ?? caller.tenant, packageId)) ? 'null (nothing installable)' : 'null';
  }
}

class AuditTrail extends Command {
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId, tenantId }: Step) {
    const expected = model.auditTrail(caller, tenantId, packageId);
    const actual = errorOnly(await ops.auditEvents(token, packageId, tenantId ?? undefined));
    expect(actual.ok ? { ok: true, data: actual.data.edges.length } : actual).toEqual(expected);
    return label(expected);
  }
}

/** Every page of a list gave each package once, and exactly the expected ones (in any order). */
function expectSamePackages(actual: Expected<PackageView[]>, expected: Expected<PackageView[]>): void {
  if (actual.ok) expect(new Set(actual.data.map((p) => p.id)).size).toBe(actual.data.length);
  const sorted = (r: Expected<PackageView[]>) => (r.ok ? { ok: true, data: [...r.data].sort(byId) } : r);
  expect(sorted(actual)).toEqual(sorted(expected));
}

/** Walks every page; the set of packages (and each one's fields) must be exactly the model's. */
class List extends Command {
  constructor(
    who: Caller,
    readonly pageSize: number,
  ) {
    super(who);
  }
  async act(model: CatalogModel, { ops }: Real, { caller, token }: Step) {
    const expected = model.list(caller);
    const actual = errorOnly(await ops.listAll(token, this.pageSize));
    expectSamePackages(actual, expected);
    const hides = [...model.packages.values()].some((p) => hiddenForNothingInstallable(model, caller, p));
    return expected.ok && hides ? 'ok (hides one with nothing installable)' : label(expected);
  }
  protected override details() {
    return [`pages of ${this.pageSize}`];
  }
}

/**
 * A search (a package id as the query, an author, or both), every page: exactly the packages of the
 * plain list that match, so a search never shows what the list would not. Names are package ids and
 * ids differ in their last word, so the model's match is exact.
 */
class Search extends Command {
  constructor(
    who: Caller,
    readonly querySlot: number | null,
    readonly authorId: string | null,
    readonly pageSize: number,
  ) {
    super(who);
  }
  async act(model: CatalogModel, { ops }: Real, { caller, token }: Step) {
    const query = this.querySlot === null ? null : model.packageId(this.querySlot);
    const listed = model.list(caller);
    const expected: Expected<PackageView[]> = listed.ok
      ? { ok: true, data: listed.data.filter((p) => (query === null || p.packageId === query) && (this.authorId === null || p.authorId === this.authorId)) }
      : listed;
    const actual = errorOnly(await ops.listAll(token, this.pageSize, { query, authorId: this.authorId }));
    expectSamePackages(actual, expected);
    return expected.ok ? `ok (${expected.data.length === 0 ? 'none' : 'some'} found)` : label(expected);
  }
  protected override details() {
    return [`query=${this.querySlot === null ? '-' : `p${this.querySlot}`}`, `author=${this.authorId ?? '-'}`, `pages of ${this.pageSize}`];
  }
}

/** The id of a package ever created (deleted ones too), a natural key (existing or not), an unknown or a malformed id. */
type EntityRef = { known: number } | { tenant: number; slot: number } | 'unknown' | 'malformed';

/** Federation `_entities` with both key forms: one database query per key form used. */
class Entities extends Command {
  constructor(
    who: Caller,
    readonly refs: EntityRef[],
  ) {
    super(who);
  }
  async act(model: CatalogModel, { ops, t }: Real, { caller, token }: Step) {
    const uuids = [...model.packages.values()].map((p) => p.uuid);
    const keys = this.refs.map((ref): EntityKey => {
      if (ref === 'unknown') return randomUUID();
      if (ref === 'malformed') return 'not-a-uuid';
      if ('slot' in ref) return { tenantId: TENANTS[ref.tenant]!, packageId: model.packageId(ref.slot) };
      return uuids[ref.known % Math.max(uuids.length, 1)] ?? randomUUID();
    });
    const expected = model.entities(caller, keys);
    t.sqlLog.length = 0;
    expect(errorOnly(await ops.entities(token, keys))).toEqual(expected);
    const forms = new Set(keys.map((key) => typeof key));
    expect(t.sqlLog.filter((sql) => /\bcatalog_package\b/.test(sql)).length).toBeLessThanOrEqual(forms.size);
    return expected.ok && expected.data.every((p) => p === null) ? 'all null' : label(expected);
  }
  protected override details() {
    return [JSON.stringify(this.refs)];
  }
}

const caller = fc.constantFrom(...CALLERS);
/** Any caller; often an admin or the package's author, so that changes succeed often enough too. */
const who: fc.Arbitrary<Who> = fc.oneof(
  { weight: 2, arbitrary: caller },
  { weight: 1, arbitrary: fc.constantFrom(...CALLERS.filter((c) => c.tenantAdmin || c.superAdmin)) },
  { weight: 1, arbitrary: fc.nat(TENANTS.length - 1).map((authorIn) => ({ authorIn })) },
);
/** Mostly the package's author: version statuses change often enough to hide packages and move defaults. */
const changer: fc.Arbitrary<Who> = fc.oneof(
  { weight: 2, arbitrary: caller },
  { weight: 1, arbitrary: fc.constantFrom(...CALLERS.filter((c) => c.tenantAdmin || c.superAdmin)) },
  { weight: 3, arbitrary: fc.nat(TENANTS.length - 1).map((authorIn) => ({ authorIn })) },
);
const slot = fc.nat(PACKAGE_SLOTS - 1);
/** Mostly a package that exists (in the tenant the command looks in), sometimes any slot. */
const packageRef: fc.Arbitrary<SlotRef> = fc.oneof(
  { weight: 1, arbitrary: slot },
  { weight: 3, arbitrary: fc.nat(PACKAGE_SLOTS - 1).map((existing) => ({ existing })) },
);
/** Mostly the caller's own tenant; sometimes a named one (another tenant: super admins only). */
const tenantArg = fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(TENANTS.length - 1) });
/**
 * The latest again (auto-bump), a higher release or candidate, an explicit one that is often lower
 * (VERSION_REGRESSION), or an earlier one of the package (in the latest auto-bump chain: bumped,
 * else VERSION_REGRESSION). Candidates make packages whose default is not their latest version.
 */
const versionChoice: fc.Arbitrary<VersionChoice> = fc.oneof(
  { weight: 2, arbitrary: fc.constant('same' as const) },
  { weight: 2, arbitrary: fc.constant('higher' as const) },
  { weight: 1, arbitrary: fc.constant('candidate' as const) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.nat(1), fc.nat(2), fc.nat(2), fc.option(fc.nat(1), { freq: 3 }))
      .map(([major, minor, patch, rc]) => ({ exactly: `${major}.${minor}.${patch}${rc === null ? '' : `-rc.${rc}`}` })),
  },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 }).map((ago) => ({ ago })) },
);
/** Mostly one the package has (the newest ones most often), sometimes one it never had. */
const versionRef: fc.Arbitrary<VersionRef> = fc.oneof(
  { weight: 6, arbitrary: fc.nat(3) },
  { weight: 3, arbitrary: fc.constant('changed' as const) },
  { weight: 1, arbitrary: fc.constantFrom('99.0.0', '0.0.1-rc.0').map((exactly) => ({ exactly })) },
);
const installVersion = fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: versionRef });
/** A reason as given (trimmed by the app), or a blank one (BAD_USER_INPUT, except for restore, which sends none). */
const reason = fc.oneof(
  { weight: 6, arbitrary: fc.constant('superseded') },
  { weight: 3, arbitrary: fc.constant('  a security fix is out \n') },
  { weight: 1, arbitrary: fc.constant('  ') },
);
const statusAction = fc.constantFrom<StatusAction>('deprecate', 'withdraw', 'restore');
/** Why a package is quarantined: as given (trimmed by the app), rarely blank or above 500 characters (BAD_USER_INPUT). */
const quarantineReason = fc.oneof(
  { weight: 10, arbitrary: fc.constant('a hijacked publisher') },
  { weight: 3, arbitrary: fc.constant('  calls an unknown host \n') },
  { weight: 1, arbitrary: fc.constant(' \t ') },
  { weight: 1, arbitrary: fc.constant('x'.repeat(501)) },
);
/** Mostly the admin of a live package (or another admin, a super admin): quarantines happen, and stay long enough to be met. */
const guard: fc.Arbitrary<Who> = fc.oneof(
  { weight: 1, arbitrary: caller },
  { weight: 1, arbitrary: fc.constantFrom(...CALLERS.filter((c) => c.tenantAdmin || c.superAdmin)) },
  { weight: 3, arbitrary: fc.nat(20).map((adminOf) => ({ adminOf })) },
  { weight: 1, arbitrary: fc.nat(TENANTS.length - 1).map((authorIn) => ({ authorIn })) },
);
/** A copy installed from the caller's tenant or a named one, at a version it has or one it never had; rarely not a version (BAD_USER_INPUT). */
const copyRef: fc.Arbitrary<CopyRef> = fc.record({
  tenant: tenantArg,
  slot,
  version: fc.oneof(
    { weight: 30, arbitrary: versionRef },
    { weight: 5, arbitrary: fc.constantFrom('0.0.0', '1.0.0-rc.0').map((exactly) => ({ exactly })) },
    { weight: 1, arbitrary: fc.constant({ exactly: 'not-a-version' }) },
  ),
});
const groups = fc.array(fc.constantFrom(...GROUPS), { maxLength: 4 });
const entityRef: fc.Arbitrary<EntityRef> = fc.oneof(
  { weight: 4, arbitrary: fc.nat(20).map((known) => ({ known })) },
  { weight: 2, arbitrary: fc.record({ tenant: fc.nat(TENANTS.length - 1), slot }) },
  { weight: 1, arbitrary: fc.constantFrom('unknown' as const, 'malformed' as const) },
);

const commands = [
  fc.tuple(who, slot, versionChoice).map(([w, s, v]) => new Publish(w, s, v)),
  fc.tuple(who, slot, versionChoice).map(([w, s, v]) => new Publish(w, s, v)),
  fc.tuple(who, slot, versionChoice).map(([w, s, v]) => new Publish(w, s, v)),
  fc.tuple(who, slot, tenantArg, fc.constantFrom('TENANT' as const, 'GROUPS' as const), groups).map(([w, s, t, v, g]) => new SetVisibility(w, s, t, v, g)),
  fc.tuple(who, slot, tenantArg).map(([w, s, t]) => new Delete(w, s, t)),
  fc.tuple(guard, packageRef, tenantArg, quarantineReason).map(([w, s, t, r]) => new Quarantine(w, s, t, r)),
  fc.tuple(guard, packageRef, tenantArg, quarantineReason).map(([w, s, t, r]) => new Quarantine(w, s, t, r)),
  fc.tuple(guard, packageRef, tenantArg, quarantineReason).map(([w, s, t, r]) => new Quarantine(w, s, t, r)),
  fc.tuple(guard, packageRef, tenantArg).map(([w, s, t]) => new Release(w, s, t)),
  fc.tuple(who, packageRef, tenantArg, installVersion, fc.boolean()).map(([w, s, t, v, values]) => new Install(w, s, t, v, values)),
  fc.tuple(who, packageRef, tenantArg, installVersion).map(([w, s, t, v]) => new InstallCheck(w, s, t, v)),
  fc.tuple(who, packageRef, tenantArg, versionRef, fc.boolean()).map(([w, s, t, v, bulk]) => new UpgradePreview(w, s, t, v, bulk)),
  fc.tuple(who, packageRef, tenantArg).map(([w, s, t]) => new Get(w, s, t)),
  fc.tuple(who, slot, tenantArg).map(([w, s, t]) => new AuditTrail(w, s, t)),
  fc.tuple(caller, fc.integer({ min: 1, max: 5 })).map(([c, n]) => new List(c, n)),
  fc
    .tuple(caller, fc.option(fc.nat(PACKAGE_SLOTS - 1)), fc.option(fc.constantFrom(...new Set(CALLERS.map((c) => c.user)))), fc.integer({ min: 1, max: 3 }))
    .filter(([, slot, author]) => slot !== null || author !== null)
    .map(([c, slot, author, n]) => new Search(c, slot, author, n)),
  fc.tuple(caller, fc.array(entityRef, { minLength: 1, maxLength: 6 })).map(([c, refs]) => new Entities(c, refs)),
  fc.tuple(changer, packageRef, tenantArg, statusAction, versionRef, reason).map(([w, s, t, a, v, r]) => new ChangeStatus(w, s, t, a, v, r)),
  fc.tuple(changer, packageRef, tenantArg, statusAction, versionRef, reason).map(([w, s, t, a, v, r]) => new ChangeStatus(w, s, t, a, v, r)),
  fc.tuple(changer, packageRef, tenantArg, statusAction, versionRef, reason).map(([w, s, t, a, v, r]) => new ChangeStatus(w, s, t, a, v, r)),
  fc.tuple(who, fc.array(copyRef, { minLength: 1, maxLength: 3 })).map(([w, copies]) => new Updates(w, copies)),
  fc.tuple(who, packageRef, tenantArg, versionRef, versionRef).map(([w, s, t, from, to]) => new Diff(w, s, t, from, to)),
  fc.tuple(who, tenantArg).map(([w, t]) => new Usage(w, 0, t)),
];

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
}, 120_000);
afterAll(() => t?.close());

test(
  'the app answers every random sequence of operations exactly like the model of the rules',
  async () => {
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: MAX_STEPS, size: 'max' }), async (cmds) => {
        sequences += 1;
        await t.reset();
        t.sqlLog.length = 0;
        // Tokens expire after 5 minutes; blobs survive the reset, hence a fresh package-id prefix.
        const tokens = new Map(await Promise.all(CALLERS.map(async (c) => [c.name, await tokenFor(c)] as const)));
        const model = new CatalogModel(`r${randomBytes(4).toString('hex')}`);
        await fc.asyncModelRun(() => ({ model, real: { ops: catalogOps(t), t, tokens } }), cmds);
      }),
      { numRuns: RUNS, seed: SEED, verbose: 1 },
    );
    const histogram = [...outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => `${key}: ${n}`);
    console.log(
      `access model: ${sequences} sequences, ${steps} steps, ${CALLERS.length} callers in ${TENANTS.length} tenants, ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s\n  ${histogram.join('\n  ')}`,
    );
  },
  15 * 60_000,
);

/** The archive bytes of every version of the tenant's packages, as stored with the versions. */
async function archiveBytes(app: TestApp, tenant: string): Promise<number> {
  const rows = await app.app.orm.em
    .fork()
    .getConnection()
    .execute<{ bytes: string | number | null }[]>(
      `select sum(v.size_bytes) as bytes from catalog_package_version v join catalog_package p on p.id = v.catalog_package_id where p.tenant_id = ?`,
      [tenant],
    );
  return Number(rows[0]?.bytes ?? 0);
}

function tokenFor(c: Caller): Promise<string> {
  const scopes = [c.view ? 'scaicore:view' : '', c.manage ? 'scaicore:manage' : ''].filter(Boolean).join(' ');
  const roles = [c.tenantAdmin ? 'tenant_admin' : '', c.superAdmin ? 'super_admin' : ''].filter(Boolean);
  return t.token({ tenant: c.tenant, user: c.user, groups: c.groups, roles, scopes });
}
