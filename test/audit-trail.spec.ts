import { randomUUID } from 'node:crypto';
import { AUDIT_ACTIONS, AUDIT_CHANGES, auditChanges, type AuditAction, type AuditChange } from '../src/modules/audit/audit-event';
import { catalogOps } from './support/catalog-ops';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * The audit trail as its readers get it: every action the code knows is recorded by the change
 * that makes it, in the shape its entry in AUDIT_CHANGES states; the database holds no list of
 * actions, so an action written by a newer release is stored and left out of this release's trail.
 */

jest.setTimeout(120_000);

const TRAIL = `query A($p: String!, $t: ID) { catalogAuditEvents(packageId: $p, tenantId: $t, first: 100) {
  edges { node { action version changes } } pageInfo { hasNextPage } } }`;

type TrailEvent = { action: string; version: string | null; changes: Record<string, unknown> };

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t?.close();
});

async function trail(token: string, packageId: string, tenantId?: string): Promise<TrailEvent[]> {
  const res = await t.gql(token, TRAIL, { p: packageId, t: tenantId });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.catalogAuditEvents.edges.map((edge: { node: TrailEvent }) => edge.node).reverse();
}

describe('the audit trail', () => {
  it('records every action the code knows, each in the shape of its entry', async () => {
    const tenant = uniqueTenant();
    const author = await t.token({ tenant, user: 'author' });
    const admin = await t.token({ tenant, user: 'admin', roles: ['tenant_admin'] });
    const ops = catalogOps(t);
    const must = <T>(outcome: { ok: true; data: T } | { ok: false; code: string }) => {
      if (!outcome.ok) throw new Error(`refused: ${outcome.code}`);
      return outcome.data;
    };

    must(await ops.publish(author, { packageId: 'audited', version: '1.0.0' }));
    must(await ops.publish(author, { packageId: 'audited', version: '1.1.0' }));
    must(await ops.setVisibility(author, 'audited', 'GROUPS', ['g-1']));
    must(await ops.install(author, 'audited'));
    must(await ops.changeVersionStatus(author, 'deprecate', { packageId: 'audited', version: '1.1.0', reason: 'use 1.2' }));
    must(await ops.changeVersionStatus(author, 'withdraw', { packageId: 'audited', version: '1.1.0', reason: 'broken' }));
    must(await ops.changeVersionStatus(author, 'restore', { packageId: 'audited', version: '1.1.0', reason: '' }));
    must(await ops.editMetadata(author, 'audited', { description: 'Edited' }));
    must(await ops.publish(author, { packageId: 'audited', version: '1.2.0', channel: 'beta' }));
    must(await ops.setChannel(author, 'audited', 'stable', '1.2.0'));
    must(await ops.setChannel(author, 'audited', 'beta', '1.0.0'));
    must(await ops.removeChannel(author, 'audited', 'beta'));
    must(await ops.publish(author, { packageId: 'audited', version: '1.3.0', stage: true }));
    must(await ops.review(admin, 'approve', { packageId: 'audited', version: '1.3.0', reason: '' }));
    must(await ops.publish(author, { packageId: 'audited', version: '1.4.0', stage: true }));
    must(await ops.review(admin, 'reject', { packageId: 'audited', version: '1.4.0', reason: 'not yet' }));
    must(await ops.quarantine(admin, 'audited', 'under review'));
    must(await ops.release(admin, 'audited'));
    must(await ops.delete(author, 'audited'));

    const events = await trail(admin, 'audited');
    expect(events.map((event) => event.action)).toEqual([
      'PUBLISH',
      'PUBLISH',
      'VISIBILITY',
      'INSTALL',
      'DEPRECATE',
      'WITHDRAW',
      'RESTORE',
      'METADATA',
      'PUBLISH',
      'CHANNEL_SET',
      'CHANNEL_SET',
      'CHANNEL_REMOVED',
      'STAGE',
      'APPROVE',
      'STAGE',
      'REJECT',
      'QUARANTINE',
      'RELEASE',
      'DELETE',
    ]);
    // Every action of the list is reached, so no entry of AUDIT_CHANGES is dead.
    expect(new Set(events.map((event) => event.action.toLowerCase()))).toEqual(new Set(AUDIT_ACTIONS));
    for (const event of events) {
      const action = event.action.toLowerCase() as AuditAction;
      expect(AUDIT_CHANGES[action].safeParse(event.changes).success).toBe(true);
    }
    expect(events[1]!.changes).toMatchObject({ version: '1.1.0', revived: false, sourceFlowId: null });
    expect(events[2]!.changes).toEqual({
      from: { visibility: 'tenant', visibilityGroupIds: [] },
      to: { visibility: 'groups', visibilityGroupIds: ['g-1'] },
    });
    expect(events[5]!.changes).toEqual({ from: 'deprecated', to: 'withdrawn', reason: 'broken', defaultVersion: { from: '1.1.0', to: '1.0.0' } });
    expect(events[6]!.changes).toEqual({ from: 'withdrawn', to: 'active', reason: null, defaultVersion: { from: '1.0.0', to: '1.1.0' } });
    expect(events[8]!.changes).toMatchObject({ version: '1.2.0', channel: 'beta' });
    expect(events[9]!.changes).toEqual({ channel: 'stable', from: '1.1.0', to: '1.2.0' });
    expect(events[10]!.changes).toEqual({ channel: 'beta', from: '1.2.0', to: '1.0.0' });
    expect(events[11]!.changes).toEqual({ channel: 'beta', version: '1.0.0' });
  });

  it("stores an action the database was never told of, and leaves it out of this release's trail", async () => {
    const tenant = uniqueTenant();
    const author = await t.token({ tenant, user: 'author' });
    const ops = catalogOps(t);
    expect((await ops.publish(author, { packageId: 'newer', version: '1.0.0' })).ok).toBe(true);
    const connection = t.app.orm.em.fork().getConnection();
    const [row] = await connection.execute<{ id: string }[]>(`select id from catalog_package where tenant_id = ? and package_id = 'newer'`, [tenant]);

    // As an instance of a newer release, with an action this one does not know.
    await connection.execute(
      `insert into catalog_audit_event (id, tenant_id, catalog_package_id, package_id, version, actor_id, actor_email, actor_tenant_id, action, changes, occurred_at)
       values (?, ?, ?, 'newer', '1.0.0', 'author', null, ?, 'cooled_off', '{"channel":"beta"}', now())`,
      [randomUUID(), tenant, row!.id, tenant],
    );

    const events = await trail(author, 'newer');
    expect(events.map((event) => event.action)).toEqual(['PUBLISH']);
    const stored = await connection.execute<{ action: string }[]>(`select action from catalog_audit_event where catalog_package_id = ? order by occurred_at`, [
      row!.id,
    ]);
    expect(stored.map((event: { action: string }) => event.action)).toEqual(['publish', 'cooled_off']);
  });

  it('refuses to record changes that are not the shape of their action (what the repository checks before it writes)', () => {
    const wrong = (change: unknown) => () => auditChanges(change as AuditChange);
    expect(wrong({ action: 'publish', changes: { version: '1.0.0' } })).toThrow();
    expect(wrong({ action: 'install', changes: { version: '1.0.0' } })).toThrow();
    expect(wrong({ action: 'withdraw', changes: { from: 'active', to: 'gone', reason: null, defaultVersion: { from: null, to: null } } })).toThrow();
    const ok = { from: 'active', to: 'withdrawn', reason: 'x', defaultVersion: { from: '1.0.0', to: null } } as const;
    expect(auditChanges({ action: 'withdraw', changes: ok })).toEqual(ok);
  });
});
