import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { flowContent } from './support/flows';
import { auditEventCount, catalogOps, type CatalogOps, type Outcome, type EntityKey, type PackageView } from './support/catalog-ops';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Model-based test of who may see and change what (issue 3): random sequences of commands by
 * random callers run against the real app over HTTP and against `CatalogModel`, a plain in-memory
 * statement of the rules. Every response must match the model exactly: error code, version,
 * visibility, field-level nulls, the set of listed packages and the audit event count.
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

interface Caller {
  name: string;
  tenant: string;
  user: string;
  groups: string[];
  view: boolean;
  manage: boolean;
  tenantAdmin: boolean;
  superAdmin: boolean;
}

const CALLERS: Caller[] = TENANTS.flatMap((tenant, i) => {
  const kind = (user: string, extra: Partial<Caller> = {}): Caller => ({
    name: `${user}@${i}`, tenant, user, groups: [], view: true, manage: true, tenantAdmin: false, superAdmin: false, ...extra,
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
// The model: the rules of docs/API.md "Rules" and issue 3, written out again in plain TypeScript.

type Version = [number, number, number];
const parse = (v: string): Version => v.split('.').map(Number) as Version;
const compare = (a: string, b: string) => {
  const [x, y] = [parse(a), parse(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};
const bumpPatch = (v: string) => {
  const [major, minor, patch] = parse(v);
  return `${major}.${minor}.${patch + 1}`;
};

interface ModelPackage {
  uuid: string;
  tenant: string;
  packageId: string;
  authorId: string;
  authorEmail: string;
  version: string;
  /** Start of the latest auto-bump chain: republishing any version from here to `version` bumps the patch. */
  republishBase: string | null;
  versions: string[];
  visibility: 'TENANT' | 'GROUPS';
  groups: string[];
  deleted: boolean;
  auditEvents: number;
}

type Expected<T> = { ok: true; data: T } | { ok: false; code: string };
const fail = (code: string): Expected<never> => ({ ok: false, code });
const ok = <T>(data: T): Expected<T> => ({ ok: true, data });
/** Where the model cannot know the value (a new package's uuid): taken from the app's answer. */
const NEW_UUID = '<new>';

class CatalogModel {
  readonly packages = new Map<string, ModelPackage>();
  auditEvents = 0;

  constructor(readonly prefix: string) {}

  packageId(slot: number): string {
    return `${this.prefix}-p${slot}`;
  }

  find(tenant: string, packageId: string): ModelPackage | undefined {
    return this.packages.get(`${tenant}/${packageId}`);
  }

  /** Admins of a tenant see every live package of it, whatever its groups. */
  visible(c: Caller, p: ModelPackage): boolean {
    if (p.deleted) return false;
    if (this.isAdminOf(c, p.tenant)) return true;
    if (c.tenant !== p.tenant) return false;
    return p.visibility === 'TENANT' || p.authorId === c.user || (p.visibility === 'GROUPS' && p.groups.some((g) => c.groups.includes(g)));
  }

  isAdminOf(c: Caller, tenant: string): boolean {
    return c.superAdmin || (c.tenantAdmin && c.tenant === tenant);
  }

  mayChange(c: Caller, p: ModelPackage): boolean {
    return this.isAdminOf(c, p.tenant) || (c.tenant === p.tenant && p.authorId === c.user);
  }

  /** What a visibility change or delete can reach: what the caller sees, and every live package of a tenant they administer. */
  reachable(c: Caller, p: ModelPackage | undefined): p is ModelPackage {
    return !!p && !p.deleted && (this.visible(c, p) || this.isAdminOf(c, p.tenant));
  }

  view(c: Caller, p: ModelPackage): PackageView {
    return {
      id: p.uuid,
      tenantId: p.tenant,
      packageId: p.packageId,
      name: p.packageId,
      version: p.version,
      authorId: p.authorId,
      authorEmail: c.tenant === p.tenant || c.superAdmin ? p.authorEmail : null,
      visibility: p.visibility,
      visibilityGroupIds: this.mayChange(c, p) ? p.groups : null,
    };
  }

  /** The tenant an operation acts in, or FORBIDDEN for a non super admin naming another tenant. */
  private target(c: Caller, tenantArg: string | null): string | null {
    if (tenantArg === null || tenantArg === c.tenant) return c.tenant;
    return c.superAdmin ? tenantArg : null;
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
        uuid: NEW_UUID, tenant: c.tenant, packageId, authorId: c.user, authorEmail: `${c.user}@example.test`, version: requested,
        republishBase: null, versions: [requested], visibility: 'TENANT', groups: [], deleted: false, auditEvents: 0,
      };
      this.packages.set(`${c.tenant}/${packageId}`, p);
      this.record(p);
      return ok(this.view(c, p));
    }
    if (!this.mayChange(c, existing)) return fail(this.visible(c, existing) ? 'FORBIDDEN' : 'NOT_FOUND');
    const base = existing.republishBase;
    const order = compare(requested, existing.version);
    if (base !== null && compare(base, requested) <= 0 && order <= 0) {
      existing.version = bumpPatch(existing.version); // a version of the latest auto-bump chain again
    } else if (order > 0) {
      [existing.version, existing.republishBase] = [requested, null];
    } else if (order === 0) {
      [existing.version, existing.republishBase] = [bumpPatch(existing.version), requested];
    } else {
      return fail('VERSION_REGRESSION');
    }
    existing.versions.push(existing.version);
    existing.deleted = false;
    this.record(existing);
    return ok(this.view(c, existing));
  }

  setVisibility(c: Caller, tenantArg: string | null, packageId: string, visibility: 'TENANT' | 'GROUPS', groups: string[]): Expected<PackageView> {
    if (!c.manage) return fail('FORBIDDEN');
    const tenant = this.target(c, tenantArg);
    if (tenant === null) return fail('FORBIDDEN');
    const unique = visibility === 'GROUPS' ? [...new Set(groups)] : [];
    if (visibility === 'GROUPS' && unique.length === 0) return fail('BAD_USER_INPUT');
    const p = this.find(tenant, packageId);
    if (!this.reachable(c, p)) return fail('NOT_FOUND');
    if (!this.mayChange(c, p)) return fail('FORBIDDEN');
    p.visibility = visibility;
    p.groups = unique;
    this.record(p);
    return ok(this.view(c, p));
  }

  delete(c: Caller, tenantArg: string | null, packageId: string): Expected<boolean> {
    if (!c.manage) return fail('FORBIDDEN');
    const tenant = this.target(c, tenantArg);
    if (tenant === null) return fail('FORBIDDEN');
    const p = this.find(tenant, packageId);
    if (!this.reachable(c, p)) return fail('NOT_FOUND');
    if (!this.mayChange(c, p)) return fail('FORBIDDEN');
    p.deleted = true;
    this.record(p);
    return ok(true);
  }

  install(c: Caller, tenantArg: string | null, packageId: string, version: string | null) {
    if (!c.view) return fail('FORBIDDEN');
    const tenant = this.target(c, tenantArg);
    if (tenant === null) return fail('FORBIDDEN');
    const p = this.find(tenant, packageId);
    if (!p || !this.visible(c, p)) return fail('NOT_FOUND');
    const chosen = version ?? p.version;
    if (!p.versions.includes(chosen)) return fail('NOT_FOUND');
    this.record(p);
    // The lineage: the package's tenant and the archive's sha256 (not modelled); no version here is deprecated.
    return ok({ tenantId: p.tenant, packageId, name: p.packageId, version: chosen, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), authorEmail: p.authorEmail, deprecation: null });
  }

  get(c: Caller, tenantArg: string | null, packageId: string): Expected<PackageView | null> {
    if (!c.view) return fail('FORBIDDEN');
    const tenant = this.target(c, tenantArg);
    if (tenant === null) return fail('FORBIDDEN');
    const p = this.find(tenant, packageId);
    return ok(p && this.visible(c, p) ? this.view(c, p) : null);
  }

  list(c: Caller): Expected<PackageView[]> {
    if (!c.view) return fail('FORBIDDEN');
    return ok([...this.packages.values()].filter((p) => this.visible(c, p)).map((p) => this.view(c, p)));
  }

  entities(c: Caller, keys: EntityKey[]): Expected<(PackageView | null)[]> {
    const all = [...this.packages.values()];
    return ok(keys.map((key) => {
      const p = typeof key === 'string' ? all.find((q) => q.uuid === key) : this.find(key.tenantId, key.packageId);
      return c.view && p && this.visible(c, p) ? this.view(c, p) : null;
    }));
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
}

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

/** A random caller, or the author of the command's package in a tenant (so that authors act often). */
type Who = Caller | { authorIn: number };

interface Step {
  caller: Caller;
  token: string;
  packageId: string;
  /** The `tenantId` argument, when the command names a tenant. */
  tenantId: string | null;
}

abstract class Command implements fc.AsyncCommand<CatalogModel, Real> {
  constructor(readonly who: Who, readonly slot = 0, readonly tenantArg: number | null = null) {}
  check = () => true;

  /** Runs the command on both sides, checks that the answers match, and names the outcome (for the histogram). */
  abstract act(model: CatalogModel, real: Real, step: Step): Promise<string>;

  async run(model: CatalogModel, real: Real): Promise<void> {
    steps += 1;
    const caller = this.callerIn(model);
    const packageId = model.packageId(this.slot);
    const tenantId = this.tenantArg === null ? null : TENANTS[this.tenantArg]!;
    const auditBefore = model.auditEvents;
    const outcome = await this.act(model, real, { caller, token: real.tokens.get(caller.name)!, packageId, tenantId });
    const key = `${this.constructor.name} ${outcome}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    // Exactly one audit event per successful change or install, none for anything else.
    if (model.auditEvents !== auditBefore || steps % 10 === 0) expect(await auditEventCount(real.t)).toBe(model.auditEvents);
  }

  private callerIn(model: CatalogModel): Caller {
    if (!('authorIn' in this.who)) return this.who;
    const p = model.find(TENANTS[this.who.authorIn]!, model.packageId(this.slot));
    return CALLERS.find((c) => p && c.tenant === p.tenant && c.user === p.authorId) ?? CALLERS[0]!;
  }

  /** What `toString` shows after the caller: by default the package slot and the tenant argument. */
  protected details(): unknown[] {
    return [`p${this.slot}`, `tenantArg=${this.tenantArg}`];
  }

  toString(): string {
    const who = 'authorIn' in this.who ? `author@${this.who.authorIn}` : this.who.name;
    return `${this.constructor.name}(${[who, ...this.details()].join(', ')})`;
  }
}

/** The latest again, a higher one, an explicit one, or one the package had before (`ago` publishes back). */
type VersionChoice = 'same' | 'higher' | Version | { ago: number };

class Publish extends Command {
  constructor(who: Who, slot: number, readonly choice: VersionChoice) {
    super(who, slot);
  }
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId }: Step) {
    const before = model.find(caller.tenant, packageId);
    const kind = !before ? 'new' : before.deleted ? 'revive' : 'republish';
    const latest = before?.version ?? null;
    const [major, minor] = parse(latest ?? '1.0.0');
    const versions = before?.versions ?? ['1.0.0'];
    const requested =
      this.choice === 'same' ? (latest ?? '1.0.0')
      : this.choice === 'higher' ? `${major}.${minor + 1}.0`
      : 'ago' in this.choice ? versions[Math.max(0, versions.length - 1 - this.choice.ago)]!
      : this.choice.join('.');
    const expected = model.publish(caller, packageId, requested);
    const actual = errorOnly(await ops.publish(token, { packageId, version: requested, content: flowContent(packageId) }));
    if (expected.ok && expected.data.id === NEW_UUID && actual.ok) {
      // A new package: its id is the app's to choose, but it must be one never seen before.
      expect([...model.packages.values()].some((p) => p.uuid === actual.data.id)).toBe(false);
      model.find(caller.tenant, packageId)!.uuid = actual.data.id;
      expected.data.id = actual.data.id;
    }
    expect(actual).toEqual(expected);
    return expected.ok ? `ok ${kind}${expected.data.version === requested ? '' : ' (bumped)'}` : label(expected);
  }
  protected override details() {
    return [`p${this.slot}`, JSON.stringify(this.choice)];
  }
}

class SetVisibility extends Command {
  constructor(who: Who, slot: number, tenantArg: number | null, readonly visibility: 'TENANT' | 'GROUPS', readonly groups: string[]) {
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

class Install extends Command {
  /** version: null for the latest, an index into the versions the package ever had, or one it never had. */
  constructor(who: Who, slot: number, tenantArg: number | null, readonly version: number | null | 'unknown') {
    super(who, slot, tenantArg);
  }
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId, tenantId }: Step) {
    const known = model.find(tenantId ?? caller.tenant, packageId)?.versions ?? [];
    const version = this.version === null ? null : this.version === 'unknown' ? '99.0.0' : (known[this.version % Math.max(known.length, 1)] ?? '1.0.0');
    const expected = model.install(caller, tenantId, packageId, version);
    const actual = errorOnly(await ops.install(token, packageId, { version: version ?? undefined, tenantId: tenantId ?? undefined }));
    expect(actual.ok ? { ok: true, data: actual.data.metadata } : actual).toEqual(expected);
    if (actual.ok) expect(actual.data.flow).toMatchObject({ name: `Copy of ${packageId}` });
    return label(expected);
  }
  protected override details() {
    return [...super.details(), `version#${this.version}`];
  }
}

class Get extends Command {
  async act(model: CatalogModel, { ops }: Real, { caller, token, packageId, tenantId }: Step) {
    const expected = model.get(caller, tenantId, packageId);
    expect(errorOnly(await ops.get(token, packageId, tenantId ?? undefined))).toEqual(expected);
    return expected.ok && expected.data === null ? 'null' : label(expected);
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

/** Walks every page; the set of packages (and each one's fields) must be exactly the model's. */
class List extends Command {
  constructor(who: Caller, readonly pageSize: number) {
    super(who);
  }
  async act(model: CatalogModel, { ops }: Real, { caller, token }: Step) {
    const expected = model.list(caller);
    const actual = errorOnly(await ops.listAll(token, this.pageSize));
    if (actual.ok) expect(new Set(actual.data.map((p) => p.id)).size).toBe(actual.data.length);
    const sorted = (r: Expected<PackageView[]>) => (r.ok ? { ok: true, data: [...r.data].sort(byId) } : r);
    expect(sorted(actual)).toEqual(sorted(expected));
    return label(expected);
  }
  protected override details() {
    return [`pages of ${this.pageSize}`];
  }
}

/** The id of a package ever created (deleted ones too), a natural key (existing or not), an unknown or a malformed id. */
type EntityRef = { known: number } | { tenant: number; slot: number } | 'unknown' | 'malformed';

/** Federation `_entities` with both key forms: one database query per key form used. */
class Entities extends Command {
  constructor(who: Caller, readonly refs: EntityRef[]) {
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
const slot = fc.nat(PACKAGE_SLOTS - 1);
/** Mostly the caller's own tenant; sometimes a named one (another tenant: super admins only). */
const tenantArg = fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(TENANTS.length - 1) });
/**
 * The latest again (auto-bump), a higher one, an explicit one that is often lower (VERSION_REGRESSION),
 * or an earlier one of the package (in the latest auto-bump chain: bumped, else VERSION_REGRESSION).
 */
const versionChoice: fc.Arbitrary<VersionChoice> = fc.oneof(
  fc.constant('same' as const),
  fc.constant('higher' as const),
  fc.tuple(fc.nat(1), fc.nat(2), fc.nat(2)),
  fc.integer({ min: 1, max: 3 }).map((ago) => ({ ago })),
);
const installVersion = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.nat(3) },
  { weight: 1, arbitrary: fc.constant('unknown' as const) },
);
const groups = fc.array(fc.constantFrom(...GROUPS), { maxLength: 4 });
const entityRef: fc.Arbitrary<EntityRef> = fc.oneof(
  { weight: 4, arbitrary: fc.nat(20).map((known) => ({ known })) },
  { weight: 2, arbitrary: fc.record({ tenant: fc.nat(TENANTS.length - 1), slot }) },
  { weight: 1, arbitrary: fc.constantFrom('unknown' as const, 'malformed' as const) },
);

const commands = [
  fc.tuple(who, slot, versionChoice).map(([w, s, v]) => new Publish(w, s, v)),
  fc.tuple(who, slot, versionChoice).map(([w, s, v]) => new Publish(w, s, v)),
  fc.tuple(who, slot, tenantArg, fc.constantFrom('TENANT' as const, 'GROUPS' as const), groups).map(([w, s, t, v, g]) => new SetVisibility(w, s, t, v, g)),
  fc.tuple(who, slot, tenantArg).map(([w, s, t]) => new Delete(w, s, t)),
  fc.tuple(who, slot, tenantArg, installVersion).map(([w, s, t, v]) => new Install(w, s, t, v)),
  fc.tuple(who, slot, tenantArg).map(([w, s, t]) => new Get(w, s, t)),
  fc.tuple(who, slot, tenantArg).map(([w, s, t]) => new AuditTrail(w, s, t)),
  fc.tuple(caller, fc.integer({ min: 1, max: 5 })).map(([c, n]) => new List(c, n)),
  fc.tuple(caller, fc.array(entityRef, { minLength: 1, maxLength: 6 })).map(([c, refs]) => new Entities(c, refs)),
];

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
}, 120_000);
afterAll(() => t?.close());

test('the app answers every random sequence of operations exactly like the model of the rules', async () => {
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
}, 15 * 60_000);

function tokenFor(c: Caller): Promise<string> {
  const scopes = [c.view ? 'scaicore:view' : '', c.manage ? 'scaicore:manage' : ''].filter(Boolean).join(' ');
  const roles = [c.tenantAdmin ? 'tenant_admin' : '', c.superAdmin ? 'super_admin' : ''].filter(Boolean);
  return t.token({ tenant: c.tenant, user: c.user, groups: c.groups, roles, scopes });
}
