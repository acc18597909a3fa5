import { randomUUID } from 'node:crypto';
import { FlowEntitiesDocument, PackageEntitiesDocument, PublishPackageDocument, SetPackageVisibilityDocument } from './generated/graphql';
import { startFlowsSubgraph, type FlowFixture, type RunningServer } from './support/federation';
import { bearer, postTyped } from './support/graphql-client';
import type { TokenSubject } from './support/oidc-issuer';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * The catalog's federation entry points as the router calls them, straight on the subgraph:
 * `_entities` for CatalogPackage by either key and for Flow (`Flow.catalogPackages`), with the
 * visibility rules and one SQL statement per call and key form whatever the number of representations.
 */

const A = uniqueTenant('fa');
const B = uniqueTenant('fb');
const FLOWS: FlowFixture[] = [
  { id: `${A}-flow-1`, tenantId: A, name: 'Invoice sync', ownerId: 'alice' },
  { id: `${A}-flow-2`, tenantId: A, name: 'Lead scoring', ownerId: 'alice' },
  { id: `${B}-flow-1`, tenantId: B, name: 'Globex ETL', ownerId: 'carol' },
];

const who = {
  alice: { tenant: A, user: 'alice' },
  bob: { tenant: A, user: 'bob' },
  dana: { tenant: A, user: 'dana', groups: ['finance'] },
  carol: { tenant: B, user: 'carol' },
  root: { tenant: B, user: 'root', roles: ['super_admin'] },
  noView: { tenant: A, user: 'eve', scopes: 'scaicore:manage' },
} satisfies Record<string, Partial<TokenSubject>>;

/** Statements that read or write catalog_package, out of everything logged since `from`. */
const packageStatements = (t: TestApp, from: number) => t.sqlLog.slice(from).filter((sql) => /\bcatalog_package\b/.test(sql));

describe('federation _entities on the catalog subgraph', () => {
  let t: TestApp;
  let flows: RunningServer;
  let graphql: string;
  const tokens = {} as Record<keyof typeof who, string>;
  const ids = {} as Record<'invoice' | 'finance' | 'scoring' | 'globex', string>;

  beforeAll(async () => {
    // The flows service is outside the catalog: a small real server (its REST API serves publishing by flowId).
    flows = await startFlowsSubgraph(() => t.issuer, FLOWS);
    t = await startTestApp({ flowsApiUrl: flows.url.replace(/\/graphql$/, '') });
    graphql = `${t.url}/graphql`;
    for (const [name, subject] of Object.entries(who)) tokens[name as keyof typeof who] = await t.token(subject);

    const publish = async (token: string, packageId: string, flowId: string) => {
      const result = await postTyped(graphql, PublishPackageDocument, { input: { packageId, name: packageId, version: '1.0.0', flowId } }, bearer(token));
      expect(result.errors).toBeUndefined();
      return result.data!.publishCatalogPackage;
    };
    ids.invoice = (await publish(tokens.alice, 'invoice-sync', FLOWS[0]!.id)).id;
    ids.finance = (await publish(tokens.alice, 'finance-sync', FLOWS[0]!.id)).id;
    ids.scoring = (await publish(tokens.alice, 'lead-scoring', FLOWS[1]!.id)).id;
    ids.globex = (await publish(tokens.carol, 'globex-etl', FLOWS[2]!.id)).id;
    const hidden = await postTyped(
      graphql,
      SetPackageVisibilityDocument,
      { packageId: 'finance-sync', visibility: 'GROUPS', visibilityGroupIds: ['finance'] },
      bearer(tokens.alice),
    );
    expect(hidden.data?.setCatalogPackageVisibility.visibility).toBe('GROUPS');
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await flows?.close();
  });

  const entities = (token: string, representations: Record<string, unknown>[]) =>
    postTyped(graphql, PackageEntitiesDocument, { representations }, bearer(token));
  const byId = (id: string) => ({ __typename: 'CatalogPackage', id });
  const byKey = (tenantId: string, packageId: string) => ({ __typename: 'CatalogPackage', tenantId, packageId });
  const names = (result: Awaited<ReturnType<typeof entities>>) =>
    result.data!._entities.map((entity) => (entity?.__typename === 'CatalogPackage' ? entity.packageId : null));

  it('resolves both keys, with the visibility rules: hidden and foreign packages are null', async () => {
    const representations = [
      byId(ids.invoice),
      byId(ids.finance),
      byKey(A, 'invoice-sync'),
      byKey(A, 'finance-sync'),
      byId(ids.globex),
      byKey(B, 'globex-etl'),
      byKey(A, 'no-such-package'),
      byId(randomUUID()),
      byId('not-a-uuid'),
    ];
    expect(names(await entities(tokens.bob, representations))).toEqual(['invoice-sync', null, 'invoice-sync', null, null, null, null, null, null]);
    expect(names(await entities(tokens.dana, representations))).toEqual([
      'invoice-sync',
      'finance-sync',
      'invoice-sync',
      'finance-sync',
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(names(await entities(tokens.carol, representations))).toEqual([null, null, null, null, 'globex-etl', 'globex-etl', null, null, null]);
    expect(names(await entities(tokens.root, representations))).toEqual([
      'invoice-sync',
      'finance-sync',
      'invoice-sync',
      'finance-sync',
      'globex-etl',
      'globex-etl',
      null,
      null,
      null,
    ]);
    expect(names(await entities(tokens.noView, representations)).every((name) => name === null)).toBe(true);
  });

  it('returns the package fields through the natural key', async () => {
    const result = await entities(tokens.alice, [byKey(A, 'lead-scoring')]);
    expect(result.data!._entities).toEqual([{ __typename: 'CatalogPackage', id: ids.scoring, tenantId: A, packageId: 'lead-scoring', name: 'lead-scoring' }]);
  });

  /** The statements touching catalog_package while `call` runs. */
  async function statementsOf(call: () => Promise<unknown>): Promise<string[]> {
    const from = t.sqlLog.length;
    await call();
    return packageStatements(t, from);
  }

  it('resolves 1, 10 and 100 representations of each key form with the same single SQL statement', async () => {
    const reps = {
      id: (n: number) => Array.from({ length: n }, (_, i) => byId([ids.invoice, ids.scoring][i] ?? randomUUID())),
      key: (n: number) => Array.from({ length: n }, (_, i) => byKey(A, ['invoice-sync', 'lead-scoring'][i] ?? `missing-${i}`)),
    };
    for (const form of ['id', 'key'] as const) {
      const seen: string[][] = [];
      for (const n of [1, 10, 100]) {
        seen.push(
          await statementsOf(async () => {
            const result = await entities(tokens.bob, reps[form](n));
            expect(result.data!._entities).toHaveLength(n);
            expect(names(result).slice(0, 2)).toEqual(n === 1 ? ['invoice-sync'] : ['invoice-sync', 'lead-scoring']);
            expect(
              names(result)
                .slice(2)
                .every((name) => name === null),
            ).toBe(true);
          }),
        );
      }
      expect(seen.map((statements) => statements.length)).toEqual([1, 1, 1]);
      expect(new Set(seen.flat()).size).toBe(1);
    }
  });

  it('resolves both key forms in one call with one statement per form', async () => {
    const representations = [byId(ids.invoice), byKey(A, 'lead-scoring'), byId(ids.scoring), byKey(A, 'invoice-sync')];
    const statements = await statementsOf(async () => {
      expect(names(await entities(tokens.bob, representations))).toEqual(['invoice-sync', 'lead-scoring', 'lead-scoring', 'invoice-sync']);
    });
    expect(statements).toHaveLength(2);
  });

  describe('Flow.catalogPackages', () => {
    const flowEntities = (token: string, flowIds: string[]) =>
      postTyped(graphql, FlowEntitiesDocument, { representations: flowIds.map((id) => ({ __typename: 'Flow', id })) }, bearer(token));
    const packagesOf = (result: Awaited<ReturnType<typeof flowEntities>>) =>
      result.data!._entities.map((entity) => (entity?.__typename === 'Flow' ? entity.catalogPackages!.map((pkg) => pkg.packageId) : 'not a flow'));

    it('lists the visible packages published from each flow, newest first', async () => {
      const flowIds = [FLOWS[0]!.id, FLOWS[1]!.id, FLOWS[2]!.id, 'unknown-flow'];
      expect(packagesOf(await flowEntities(tokens.bob, flowIds))).toEqual([['invoice-sync'], ['lead-scoring'], [], []]);
      expect(packagesOf(await flowEntities(tokens.alice, flowIds))).toEqual([['finance-sync', 'invoice-sync'], ['lead-scoring'], [], []]);
      expect(packagesOf(await flowEntities(tokens.carol, flowIds))).toEqual([[], [], ['globex-etl'], []]);
      expect(packagesOf(await flowEntities(tokens.noView, flowIds))).toEqual([[], [], [], []]);
    });

    it('fetches the packages of 1, 10 and 100 flows with the same single SQL statement', async () => {
      const seen: string[][] = [];
      for (const n of [1, 10, 100]) {
        const flowIds = Array.from({ length: n }, (_, i) => FLOWS[i]?.id ?? `flow-${i}`);
        seen.push(
          await statementsOf(async () => {
            const result = await flowEntities(tokens.alice, flowIds);
            expect(result.data!._entities).toHaveLength(n);
            expect(packagesOf(result)[0]).toEqual(['finance-sync', 'invoice-sync']);
          }),
        );
      }
      expect(seen.map((statements) => statements.length)).toEqual([1, 1, 1]);
      expect(new Set(seen.flat()).size).toBe(1);
    });
  });
});
