import { catalogOps, type Outcome } from './support/catalog-ops';
import { flowContent } from './support/flows';
import type { GqlResponse } from './support/graphql-client';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Release channels (docs/API.md, "Release channels"), on the real app: a publish to another
 * channel leaves the default install alone; promotion and rollback move `stable` (the default
 * version) and what installs and update checks answer; a withdrawal moves or removes the channels
 * at the version; names are checked; only the author and admins move channels; every move is
 * audited and moves the revision once, also when moves race.
 */

jest.setTimeout(300_000);

const INSTALL = `mutation I($p: String!, $v: String, $c: String, $t: ID) {
  installCatalogPackage(packageId: $p, version: $v, channel: $c, tenantId: $t) { metadata { version channel } } }`;
const UPDATES = `query U($installed: [CatalogInstalledInput!]!) { catalogUpdates(installed: $installed) {
  packageId installedVersion suggestedVersion updateAvailable newerVersions { version } } }`;
const CHECK = `query C($p: String!, $c: String) { catalogInstallCheck(packageId: $p, channel: $c, environment: { nodeTypes: [], credentials: [] }) { version } }`;
const TRAIL = `query A($p: String!) { catalogAuditEvents(packageId: $p, first: 100) { edges { node { action version actorId changes } } } }`;
const LIST = `query L { catalogPackages(first: 50) { edges { node { packageId version channels { name version } } } } }`;
const PUBLISH = `mutation P($input: PublishCatalogPackageInput!) { publishCatalogPackage(input: $input) { version revision } }`;

type TrailEvent = { action: string; version: string | null; actorId: string; changes: Record<string, unknown> };

let t: TestApp;
let ops: ReturnType<typeof catalogOps>;

beforeAll(async () => {
  t = await startTestApp();
  ops = catalogOps(t);
});

afterAll(async () => {
  await t?.close();
});

const codeOf = (res: GqlResponse<any>) => res.body.errors?.[0]?.extensions?.code ?? 'OK';
const codeOfOutcome = (outcome: Outcome<unknown>) => (outcome.ok ? 'OK' : outcome.code);

function must<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new Error(`refused: ${outcome.code} ${outcome.message}`);
  return outcome.data;
}

async function people() {
  const tenant = uniqueTenant();
  return {
    tenant,
    author: await t.token({ tenant, user: 'author' }),
    member: await t.token({ tenant, user: 'member' }),
    admin: await t.token({ tenant, user: 'admin', roles: ['tenant_admin'] }),
    outsider: await t.token({ tenant: uniqueTenant(), user: 'outsider' }),
  };
}

async function install(token: string, packageId: string, options: { version?: string; channel?: string } = {}) {
  const res = await t.gql(token, INSTALL, { p: packageId, v: options.version, c: options.channel });
  return { code: codeOf(res), metadata: res.body.data?.installCatalogPackage?.metadata as { version: string; channel: string | null } | undefined };
}

async function updates(token: string, installed: { packageId: string; version: string; channel?: string }[]) {
  const res = await t.gql(token, UPDATES, { installed });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.catalogUpdates as { suggestedVersion: string | null; updateAvailable: boolean; newerVersions: { version: string }[] }[];
}

async function restVersion(token: string, packageId: string): Promise<string> {
  const response = await fetch(`${t.url}/api/v1/catalog/${packageId}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { version: string }).version;
}

async function trail(token: string, packageId: string): Promise<TrailEvent[]> {
  const res = await t.gql(token, TRAIL, { p: packageId });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.catalogAuditEvents.edges.map((edge: { node: TrailEvent }) => edge.node).reverse();
}

async function channelsOf(token: string, packageId: string) {
  const pkg = must(await ops.channels(token, packageId));
  return { version: pkg!.version, revision: pkg!.revision, channels: pkg!.channels.map(({ name, version }) => ({ name, version })) };
}

describe('release channels', () => {
  it('publishes to beta without moving stable, the default install, REST version or update checks', async () => {
    const { author, member } = await people();
    must(await ops.publish(author, { packageId: 'beta-pub', version: '1.0.0' }));
    const before = await updates(member, [{ packageId: 'beta-pub', version: '1.0.0' }]);
    must(await ops.publish(author, { packageId: 'beta-pub', version: '2.0.0', channel: 'beta' }));

    expect(await channelsOf(member, 'beta-pub')).toMatchObject({
      version: '1.0.0',
      channels: [
        { name: 'stable', version: '1.0.0' },
        { name: 'beta', version: '2.0.0' },
      ],
    });
    expect(await install(member, 'beta-pub')).toEqual({ code: 'OK', metadata: { version: '1.0.0', channel: null } });
    expect(await restVersion(member, 'beta-pub')).toBe('1.0.0');
    expect(await updates(member, [{ packageId: 'beta-pub', version: '1.0.0' }])).toEqual(before);
    expect(before[0]).toMatchObject({ suggestedVersion: '1.0.0', updateAvailable: false });

    // A status change recomputes the default: the beta version still does not become it.
    must(await ops.changeVersionStatus(author, 'deprecate', { packageId: 'beta-pub', version: '1.0.0', reason: 'old' }));
    expect(await restVersion(member, 'beta-pub')).toBe('1.0.0');

    // The channel's copies: installed from it, they follow it.
    expect(await install(member, 'beta-pub', { channel: 'beta' })).toEqual({ code: 'OK', metadata: { version: '2.0.0', channel: 'beta' } });
    expect(await install(member, 'beta-pub', { channel: 'stable' })).toEqual({ code: 'OK', metadata: { version: '1.0.0', channel: 'stable' } });
    const [onBeta] = await updates(member, [{ packageId: 'beta-pub', version: '1.0.0', channel: 'beta' }]);
    expect(onBeta).toMatchObject({ suggestedVersion: '2.0.0', updateAvailable: true, newerVersions: [{ version: '2.0.0' }] });
    const check = await t.gql(member, CHECK, { p: 'beta-pub', c: 'beta' });
    expect(check.body.data.catalogInstallCheck.version).toBe('2.0.0');

    // A later publish to beta moves beta only.
    must(await ops.publish(author, { packageId: 'beta-pub', version: '2.1.0', channel: 'beta' }));
    expect((await channelsOf(member, 'beta-pub')).channels).toEqual([
      { name: 'stable', version: '1.0.0' },
      { name: 'beta', version: '2.1.0' },
    ]);
    const events = await trail(author, 'beta-pub');
    expect(events.filter((event) => event.action === 'PUBLISH').map((event) => event.changes['channel'] ?? null)).toEqual([null, 'beta', 'beta']);
  });

  it('refuses an install naming a version and a channel, and an unknown channel', async () => {
    const { author, member } = await people();
    must(await ops.publish(author, { packageId: 'both', version: '1.0.0' }));
    expect((await install(member, 'both', { version: '1.0.0', channel: 'beta' })).code).toBe('BAD_USER_INPUT');
    expect((await install(member, 'both', { channel: 'nightly' })).code).toBe('NOT_FOUND');
    expect(codeOf(await t.gql(member, CHECK, { p: 'both', c: 'nightly' }))).toBe('NOT_FOUND');
  });

  it('promotes a beta version to stable: installs and update checks move to it', async () => {
    const { author, member } = await people();
    must(await ops.publish(author, { packageId: 'promo', version: '1.0.0' }));
    must(await ops.publish(author, { packageId: 'promo', version: '2.0.0', channel: 'beta' }));
    const { revision } = await channelsOf(member, 'promo');
    const promoted = must(await ops.setChannel(author, 'promo', 'stable', '2.0.0'));
    expect(promoted.version).toBe('2.0.0');
    expect(promoted.revision).toBe(revision + 1);
    const stable = promoted.channels.find((channel) => channel.name === 'stable')!;
    expect(stable).toMatchObject({ version: '2.0.0', updatedBy: 'author' });

    expect((await install(member, 'promo')).metadata?.version).toBe('2.0.0');
    expect(await restVersion(member, 'promo')).toBe('2.0.0');
    const [copy] = await updates(member, [{ packageId: 'promo', version: '1.0.0' }]);
    expect(copy).toMatchObject({ suggestedVersion: '2.0.0', updateAvailable: true, newerVersions: [{ version: '2.0.0' }] });

    // Promoted, the version joined stable: when a later one is withdrawn, stable falls back to it.
    must(await ops.publish(author, { packageId: 'promo', version: '2.1.0' }));
    must(await ops.changeVersionStatus(author, 'withdraw', { packageId: 'promo', version: '2.1.0', reason: 'broken' }));
    expect(await restVersion(member, 'promo')).toBe('2.0.0');
  });

  it('rolls stable back to a lower version until the next publish to stable', async () => {
    const { author, member } = await people();
    must(await ops.publish(author, { packageId: 'rollback', version: '1.0.0' }));
    must(await ops.publish(author, { packageId: 'rollback', version: '1.1.0' }));
    must(await ops.setChannel(author, 'rollback', 'stable', '1.0.0'));

    expect(await restVersion(member, 'rollback')).toBe('1.0.0');
    expect((await install(member, 'rollback')).metadata?.version).toBe('1.0.0');
    const [atOld, atNew] = await updates(member, [
      { packageId: 'rollback', version: '1.0.0' },
      { packageId: 'rollback', version: '1.1.0' },
    ]);
    expect(atOld).toMatchObject({ suggestedVersion: '1.0.0', updateAvailable: false, newerVersions: [] });
    expect(atNew).toMatchObject({ suggestedVersion: '1.0.0', updateAvailable: false });

    // A status change elsewhere keeps the rollback; a publish to another channel too.
    must(await ops.changeVersionStatus(author, 'deprecate', { packageId: 'rollback', version: '1.1.0', reason: 'regression' }));
    must(await ops.publish(author, { packageId: 'rollback', version: '1.2.0-rc.1', channel: 'next' }));
    expect(await restVersion(member, 'rollback')).toBe('1.0.0');

    // The next publish to stable ends it.
    must(await ops.publish(author, { packageId: 'rollback', version: '1.2.0' }));
    expect(await restVersion(member, 'rollback')).toBe('1.2.0');
  });

  it('lets a rollback go when its version is withdrawn: stable follows the rule again', async () => {
    const { author, member } = await people();
    must(await ops.publish(author, { packageId: 'pin-gone', version: '1.0.0' }));
    must(await ops.publish(author, { packageId: 'pin-gone', version: '1.1.0' }));
    must(await ops.publish(author, { packageId: 'pin-gone', version: '1.2.0', channel: 'beta' }));
    must(await ops.setChannel(author, 'pin-gone', 'stable', '1.0.0'));
    must(await ops.changeVersionStatus(author, 'withdraw', { packageId: 'pin-gone', version: '1.0.0', reason: 'bad' }));
    // 1.2.0 never joined stable: the rule picks 1.1.0.
    expect(await restVersion(member, 'pin-gone')).toBe('1.1.0');
    // Restored, 1.0.0 is no pin any more.
    must(await ops.changeVersionStatus(author, 'restore', { packageId: 'pin-gone', version: '1.0.0', reason: '' }));
    expect(await restVersion(member, 'pin-gone')).toBe('1.1.0');
  });

  it('moves stable and removes beta when their version is withdrawn, and says so in the audit row', async () => {
    const { author, member } = await people();
    must(await ops.publish(author, { packageId: 'withdrawn', version: '1.0.0' }));
    must(await ops.publish(author, { packageId: 'withdrawn', version: '2.0.0', channel: 'beta' }));
    must(await ops.setChannel(author, 'withdrawn', 'stable', '2.0.0'));
    must(await ops.setChannel(author, 'withdrawn', 'canary', '1.0.0'));
    must(await ops.changeVersionStatus(author, 'withdraw', { packageId: 'withdrawn', version: '2.0.0', reason: 'broken' }));

    expect(await channelsOf(member, 'withdrawn')).toMatchObject({
      version: '1.0.0',
      channels: [
        { name: 'stable', version: '1.0.0' },
        { name: 'canary', version: '1.0.0' },
      ],
    });
    expect((await install(member, 'withdrawn', { channel: 'beta' })).code).toBe('NOT_FOUND');
    const [copy] = await updates(member, [{ packageId: 'withdrawn', version: '1.0.0', channel: 'beta' }]);
    // The channel is gone: the copy is judged against stable.
    expect(copy).toMatchObject({ suggestedVersion: '1.0.0', updateAvailable: false });
    const withdrawal = (await trail(author, 'withdrawn')).find((event) => event.action === 'WITHDRAW')!;
    expect(withdrawal.changes).toEqual({
      from: 'active',
      to: 'withdrawn',
      reason: 'broken',
      defaultVersion: { from: '2.0.0', to: '1.0.0' },
      channelsRemoved: ['beta'],
    });

    // A channel never points at a withdrawn version; an unknown version is NOT_FOUND.
    expect(codeOfOutcome(await ops.setChannel(author, 'withdrawn', 'beta', '2.0.0'))).toBe('ILLEGAL_STATE');
    expect(codeOfOutcome(await ops.setChannel(author, 'withdrawn', 'stable', '2.0.0'))).toBe('ILLEGAL_STATE');
    expect(codeOfOutcome(await ops.setChannel(author, 'withdrawn', 'beta', '9.9.9'))).toBe('NOT_FOUND');
    expect(codeOfOutcome(await ops.setChannel(author, 'withdrawn', 'beta', 'not-a-version'))).toBe('NOT_FOUND');
  });

  it('removes a channel by hand, never stable', async () => {
    const { author, member } = await people();
    must(await ops.publish(author, { packageId: 'remove', version: '1.0.0' }));
    must(await ops.setChannel(author, 'remove', 'lts', '1.0.0'));
    const removed = must(await ops.removeChannel(author, 'remove', 'lts'));
    expect(removed.channels).toEqual([{ name: 'stable', version: '1.0.0' }]);
    expect(codeOfOutcome(await ops.removeChannel(author, 'remove', 'stable'))).toBe('ILLEGAL_STATE');
    expect(codeOfOutcome(await ops.removeChannel(author, 'remove', 'lts'))).toBe('NOT_FOUND');
    expect((await channelsOf(member, 'remove')).channels).toEqual([{ name: 'stable', version: '1.0.0' }]);
  });

  it('refuses names that are no lowercase slugs or that are semver versions or ranges, writing nothing', async () => {
    const { author, member } = await people();
    must(await ops.publish(author, { packageId: 'names', version: '1.0.0' }));
    const { revision } = await channelsOf(member, 'names');
    for (const name of ['Beta', '1.x', 'x', 'v1', '1.2.3', '-beta', 'be ta', '', 'a'.repeat(65), 'beta\u0000']) {
      expect([name, codeOfOutcome(await ops.setChannel(author, 'names', name, '1.0.0'))]).toEqual([name, 'BAD_USER_INPUT']);
    }
    expect(codeOfOutcome(await ops.removeChannel(author, 'names', '1.x'))).toBe('BAD_USER_INPUT');
    const publish = await t.gql(author, PUBLISH, { input: { packageId: 'names', name: 'names', version: '1.1.0', content: flowContent(), channel: '^1' } });
    expect(codeOf(publish)).toBe('BAD_USER_INPUT');
    expect((await install(member, 'names', { channel: 'X' })).code).toBe('BAD_USER_INPUT');
    const res = await t.gql(member, UPDATES, { installed: [{ packageId: 'names', version: '1.0.0', channel: '>=1' }] });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    // Accepted names, for contrast.
    must(await ops.setChannel(author, 'names', 'a'.repeat(64), '1.0.0'));
    must(await ops.setChannel(author, 'names', 'release-2', '1.0.0'));
    expect(await channelsOf(member, 'names')).toMatchObject({ version: '1.0.0', revision: revision + 2 });
  });

  it('lets the author and admins move channels: a member is FORBIDDEN, an outsider NOT_FOUND', async () => {
    const { author, member, admin, outsider } = await people();
    must(await ops.publish(author, { packageId: 'rights', version: '1.0.0' }));
    must(await ops.publish(author, { packageId: 'rights', version: '1.1.0', channel: 'beta' }));
    const before = await channelsOf(member, 'rights');
    expect(codeOfOutcome(await ops.setChannel(member, 'rights', 'stable', '1.1.0'))).toBe('FORBIDDEN');
    expect(codeOfOutcome(await ops.removeChannel(member, 'rights', 'beta'))).toBe('FORBIDDEN');
    expect(codeOfOutcome(await ops.setChannel(outsider, 'rights', 'stable', '1.1.0'))).toBe('NOT_FOUND');
    expect(codeOfOutcome(await ops.removeChannel(outsider, 'rights', 'beta'))).toBe('NOT_FOUND');
    expect(await channelsOf(member, 'rights')).toEqual(before);

    must(await ops.setChannel(admin, 'rights', 'stable', '1.1.0'));
    must(await ops.removeChannel(admin, 'rights', 'beta'));
    expect(await channelsOf(member, 'rights')).toMatchObject({ version: '1.1.0', channels: [{ name: 'stable', version: '1.1.0' }] });
    const events = (await trail(author, 'rights')).filter((event) => event.action.startsWith('CHANNEL'));
    expect(events).toEqual([
      { action: 'CHANNEL_SET', version: '1.1.0', actorId: 'admin', changes: { channel: 'stable', from: '1.0.0', to: '1.1.0' } },
      { action: 'CHANNEL_REMOVED', version: '1.1.0', actorId: 'admin', changes: { channel: 'beta', version: '1.1.0' } },
    ]);
  });

  it('gives every package of a list its channels', async () => {
    const { author, member } = await people();
    must(await ops.publish(author, { packageId: 'list-a', version: '1.0.0' }));
    must(await ops.publish(author, { packageId: 'list-b', version: '1.0.0' }));
    must(await ops.publish(author, { packageId: 'list-b', version: '2.0.0-rc.1', channel: 'next' }));
    const res = await t.gql(member, LIST, {});
    expect(res.body.errors).toBeUndefined();
    const byId = Object.fromEntries(res.body.data.catalogPackages.edges.map((edge: { node: { packageId: string } }) => [edge.node.packageId, edge.node]));
    expect(byId['list-a']).toEqual({ packageId: 'list-a', version: '1.0.0', channels: [{ name: 'stable', version: '1.0.0' }] });
    expect(byId['list-b']).toEqual({
      packageId: 'list-b',
      version: '1.0.0',
      channels: [
        { name: 'stable', version: '1.0.0' },
        { name: 'next', version: '2.0.0-rc.1' },
      ],
    });
  });

  it('lands concurrent moves in some serial order: each moves the revision once and is audited from where the last left', async () => {
    const { author, admin, member } = await people();
    must(await ops.publish(author, { packageId: 'race', version: '1.0.0' }));
    for (const version of ['1.1.0', '1.2.0', '1.3.0']) must(await ops.publish(author, { packageId: 'race', version, channel: 'beta' }));
    const before = await channelsOf(member, 'race');
    const moves = [
      ['beta', '1.0.0'],
      ['beta', '1.1.0'],
      ['beta', '1.2.0'],
      ['stable', '1.3.0'],
      ['stable', '1.1.0'],
      ['beta', '1.3.0'],
    ] as const;
    const results = await Promise.all(moves.map(([channel, version], index) => ops.setChannel(index % 2 === 0 ? author : admin, 'race', channel, version)));
    expect(results.map(codeOfOutcome)).toEqual(moves.map(() => 'OK'));
    const revisions = results.map((result) => must(result).revision).sort((a, b) => a - b);
    expect(revisions).toEqual(moves.map((_, index) => before.revision + index + 1));

    const sets = (await trail(author, 'race')).filter((event) => event.action === 'CHANNEL_SET');
    expect(sets).toHaveLength(moves.length);
    // Serial: every move starts where the previous move of its channel left it.
    const at: Record<string, string> = { stable: '1.0.0', beta: '1.3.0' };
    for (const { changes } of sets) {
      const channel = String(changes['channel']);
      expect(changes['from']).toBe(at[channel]);
      at[channel] = String(changes['to']);
    }
    const after = await channelsOf(member, 'race');
    expect(after.revision).toBe(before.revision + moves.length);
    expect(after.channels).toEqual([
      { name: 'stable', version: at['stable'] },
      { name: 'beta', version: at['beta'] },
    ]);
    expect(after.version).toBe(at['stable']);
  });
});
