import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findFreePort } from '../src/infra/blob/embedded-azurite';
import { FlowsPageDocument, FlowWithPackagesDocument, GatewayPackageDocument, GatewayPackagesDocument } from './generated/gateway/graphql';
import { PublishPackageDocument, SetPackageVisibilityDocument } from './generated/graphql';
import { bearer, postTyped } from './support/graphql-client';
import { startFlowsSubgraph, startHiveGateway, startUsersSubgraph, type FlowFixture, type RunningGateway, type RunningServer } from './support/federation';
import type { TokenSubject } from './support/oidc-issuer';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * End to end through a real Hive Gateway (what `npm run supergraph` runs) on the committed supergraph.graphql, in front of
 * the real catalog subgraph (behind ROUTER_SECRET, like in production) and small real flows and
 * users subgraphs. Two tenants; every query crosses subgraphs.
 */

const ROUTER_SECRET = 'gateway-test-router-secret';
const A = uniqueTenant('ga');
const B = uniqueTenant('gb');
const C = uniqueTenant('gc');

const FLOWS: FlowFixture[] = [
  { id: `${A}-invoice`, tenantId: A, name: 'Invoice sync', ownerId: 'alice' },
  { id: `${A}-scoring`, tenantId: A, name: 'Lead scoring', ownerId: 'bob' },
  { id: `${B}-etl`, tenantId: B, name: 'Globex ETL', ownerId: 'carol' },
  // Tenant C has a hundred flows, to show that a page of flows costs the catalog one query.
  ...Array.from({ length: 100 }, (_, i) => ({ id: `${C}-bulk-${String(i).padStart(3, '0')}`, tenantId: C, name: `Bulk ${i}`, ownerId: 'carl' })),
];
const USERS = [
  { id: 'alice', name: 'Alice Anders' },
  { id: 'bob', name: 'Bob Brown' },
  { id: 'dana', name: 'Dana Diaz' },
  { id: 'carol', name: 'Carol Chen' },
  { id: 'carl', name: 'Carl Cole' },
];
const who = {
  alice: { tenant: A, user: 'alice' },
  bob: { tenant: A, user: 'bob' },
  dana: { tenant: A, user: 'dana', groups: ['finance'] },
  carol: { tenant: B, user: 'carol' },
  carl: { tenant: C, user: 'carl' },
} satisfies Record<string, Partial<TokenSubject>>;

describe('the catalog behind Hive Gateway', () => {
  let t: TestApp;
  let flows: RunningServer;
  let users: RunningServer;
  let gateway: RunningGateway;
  const tokens = {} as Record<keyof typeof who, string>;

  const viaGateway = <TData, TVariables>(document: Parameters<typeof postTyped<TData, TVariables>>[1], variables: TVariables, token?: string) =>
    postTyped(gateway.url, document, variables, token ? bearer(token) : {});

  beforeAll(async () => {
    flows = await startFlowsSubgraph(() => t.issuer, FLOWS);
    users = await startUsersSubgraph(() => t.issuer, USERS);
    t = await startTestApp({ flowsApiUrl: flows.url.replace(/\/graphql$/, ''), routerSecret: ROUTER_SECRET });
    for (const [name, subject] of Object.entries(who)) tokens[name as keyof typeof who] = await t.token(subject);
    gateway = await startHiveGateway({
      supergraphSdl: readFileSync(path.resolve(__dirname, '../supergraph.graphql'), 'utf8'),
      subgraphUrls: { catalog: `${t.url}/graphql`, flows: flows.url, users: users.url },
      routerSecret: ROUTER_SECRET,
    });

    // Set-up goes straight to the catalog, as the router would (it holds the router secret).
    const direct = (token: string) => ({ ...bearer(token), 'router-secret': ROUTER_SECRET });
    const publish = async (token: string, packageId: string, flowId: string) => {
      const result = await postTyped(
        `${t.url}/graphql`,
        PublishPackageDocument,
        { input: { packageId, name: packageId, version: '1.0.0', flowId } },
        direct(token),
      );
      expect(result.errors).toBeUndefined();
    };
    await publish(tokens.alice, 'invoice-sync', `${A}-invoice`);
    await publish(tokens.alice, 'finance-sync', `${A}-invoice`);
    await publish(tokens.bob, 'lead-scoring', `${A}-scoring`);
    await publish(tokens.carol, 'globex-etl', `${B}-etl`);
    for (const i of [0, 5, 99]) await publish(tokens.carl, `bulk-${i}`, `${C}-bulk-${String(i).padStart(3, '0')}`);
    const hidden = await postTyped(
      `${t.url}/graphql`,
      SetPackageVisibilityDocument,
      { packageId: 'finance-sync', visibility: 'GROUPS', visibilityGroupIds: ['finance'] },
      direct(tokens.alice),
    );
    expect(hidden.errors).toBeUndefined();
  }, 90_000);

  afterAll(async () => {
    await gateway?.close();
    await t?.close();
    await flows?.close();
    await users?.close();
  });

  it("resolves a flow's catalogPackages and their authors across the three subgraphs", async () => {
    const result = await viaGateway(FlowWithPackagesDocument, { id: `${A}-invoice` }, tokens.bob);
    expect(result.errors).toBeUndefined();
    expect(result.data?.flow).toEqual({
      id: `${A}-invoice`,
      name: 'Invoice sync',
      owner: { id: 'alice', name: 'Alice Anders' },
      // finance-sync is GROUPS [finance]: bob is not in it.
      catalogPackages: [{ packageId: 'invoice-sync', tenantId: A, name: 'invoice-sync', version: '1.0.0', author: { id: 'alice', name: 'Alice Anders' } }],
    });

    const dana = await viaGateway(FlowWithPackagesDocument, { id: `${A}-invoice` }, tokens.dana);
    expect(dana.data?.flow?.catalogPackages!.map((pkg) => pkg.packageId)).toEqual(['finance-sync', 'invoice-sync']);
  });

  it('keeps the second tenant apart', async () => {
    const own = await viaGateway(FlowWithPackagesDocument, { id: `${B}-etl` }, tokens.carol);
    expect(own.data?.flow).toMatchObject({
      name: 'Globex ETL',
      owner: { name: 'Carol Chen' },
      catalogPackages: [{ packageId: 'globex-etl', tenantId: B, author: { id: 'carol', name: 'Carol Chen' } }],
    });
    const foreign = await viaGateway(FlowWithPackagesDocument, { id: `${A}-invoice` }, tokens.carol);
    expect(foreign.errors).toBeUndefined();
    expect(foreign.data?.flow).toBeNull();
  });

  it('lists packages through the gateway with authors and source flows from the other subgraphs', async () => {
    const bob = await viaGateway(GatewayPackagesDocument, { first: 50 }, tokens.bob);
    expect(bob.errors).toBeUndefined();
    expect(bob.data?.catalogPackages.edges.map(({ node }) => [node.packageId, node.author?.name, node.sourceFlow?.name])).toEqual([
      ['lead-scoring', 'Bob Brown', 'Lead scoring'],
      ['invoice-sync', 'Alice Anders', 'Invoice sync'],
    ]);
    expect(bob.data?.catalogPackages.edges.every(({ node }) => node.tenantId === A && node.authorEmail !== null)).toBe(true);

    const carol = await viaGateway(GatewayPackagesDocument, { first: 50 }, tokens.carol);
    expect(carol.data?.catalogPackages.edges.map(({ node }) => [node.packageId, node.author?.name, node.sourceFlow?.name])).toEqual([
      ['globex-etl', 'Carol Chen', 'Globex ETL'],
    ]);
  });

  it('does not show a package invisible to the caller through the gateway either', async () => {
    const asBob = await viaGateway(GatewayPackageDocument, { packageId: 'finance-sync' }, tokens.bob);
    expect(asBob.errors).toBeUndefined();
    expect(asBob.data?.catalogPackage).toBeNull();
    const asCarol = await viaGateway(GatewayPackageDocument, { packageId: 'invoice-sync' }, tokens.carol);
    expect(asCarol.data?.catalogPackage).toBeNull();
    const asDana = await viaGateway(GatewayPackageDocument, { packageId: 'finance-sync' }, tokens.dana);
    expect(asDana.data?.catalogPackage).toEqual({ packageId: 'finance-sync', name: 'finance-sync', author: { id: 'alice', name: 'Alice Anders' } });

    const page = await viaGateway(FlowsPageDocument, { first: 10 }, tokens.bob);
    const seen = page.data?.flows.edges.flatMap(({ node }) => node.catalogPackages!.map((pkg) => pkg.packageId));
    expect(seen).toEqual(['invoice-sync', 'lead-scoring']);
  });

  it('forwards Authorization, traceparent and x-request-id to every subgraph and the router secret to the catalog only', async () => {
    flows.seenHeaders.length = 0;
    users.seenHeaders.length = 0;
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const result = await postTyped(
      gateway.url,
      FlowWithPackagesDocument,
      { id: `${A}-invoice` },
      { ...bearer(tokens.alice), traceparent, 'x-request-id': 'gw-req-1' },
    );
    expect(result.errors).toBeUndefined();
    for (const server of [flows, users]) {
      expect(server.seenHeaders.length).toBeGreaterThan(0);
      for (const headers of server.seenHeaders) {
        expect(headers).toMatchObject({ authorization: `Bearer ${tokens.alice}`, traceparent, 'x-request-id': 'gw-req-1' });
        expect(headers).not.toHaveProperty('router-secret');
      }
    }

    // Without the caller's token the catalog (and the other subgraphs) refuse.
    const anonymous = await viaGateway(GatewayPackagesDocument, { first: 5 });
    expect(anonymous.data?.catalogPackages ?? null).toBeNull();
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('costs the catalog one SQL statement for a page of 1, 10 or 100 flows', async () => {
    const seen: string[][] = [];
    for (const first of [1, 10, 100]) {
      const from = t.sqlLog.length;
      const result = await viaGateway(FlowsPageDocument, { first }, tokens.carl);
      expect(result.errors).toBeUndefined();
      const edges = result.data!.flows.edges;
      expect(edges).toHaveLength(first);
      const withPackages = edges.filter(({ node }) => node.catalogPackages!.length > 0).map(({ node }) => node.catalogPackages![0]!.packageId);
      expect(withPackages).toEqual(['bulk-0', 'bulk-5', 'bulk-99'].slice(0, first === 1 ? 1 : first === 10 ? 2 : 3));
      seen.push(t.sqlLog.slice(from).filter((sql) => /\bcatalog_package\b/.test(sql)));
    }
    expect(seen.map((statements) => statements.length)).toEqual([1, 1, 1]);
    expect(new Set(seen.flat()).size).toBe(1);
  });

  it('gets no stack traces from the example subgraphs', async () => {
    const ask = async (url: string, query: string, token?: string) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? bearer(token) : {}) },
        body: JSON.stringify({ query }),
      });
      return (await response.json()) as { errors?: { extensions?: Record<string, unknown> }[] };
    };
    // Started as `npm run supergraph` starts them: outside jest, where Apollo's default adds stack traces.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'development';
    const devFlows = await startFlowsSubgraph(() => t.issuer, FLOWS).finally(() => (process.env.NODE_ENV = nodeEnv));
    try {
      for (const answer of [await ask(devFlows.url, '{ nope }', tokens.alice), await ask(devFlows.url, '{ flows(first: 1) { edges { node { id } } } }')]) {
        expect(answer.errors?.length).toBeGreaterThan(0);
        for (const error of answer.errors!) expect(error.extensions?.['stacktrace']).toBeUndefined();
      }
    } finally {
      await devFlows.close();
    }
  });

  it("answers another team's flows page with catalogPackages: null when the catalog is down, not data: null", async () => {
    // A second gateway whose catalog address answers nothing (a port just freed): the catalog down.
    const deadCatalog = `http://127.0.0.1:${await findFreePort()}/graphql`;
    const outage = await startHiveGateway({
      supergraphSdl: readFileSync(path.resolve(__dirname, '../supergraph.graphql'), 'utf8'),
      subgraphUrls: { catalog: deadCatalog, flows: flows.url, users: users.url },
      routerSecret: ROUTER_SECRET,
    });
    try {
      const result = await postTyped(outage.url, FlowsPageDocument, { first: 2 }, bearer(tokens.alice));
      expect(result.data?.flows.edges.map(({ node }) => ({ id: node.id, name: node.name, catalogPackages: node.catalogPackages }))).toEqual([
        { id: `${A}-invoice`, name: 'Invoice sync', catalogPackages: null },
        { id: `${A}-scoring`, name: 'Lead scoring', catalogPackages: null },
      ]);
      expect(result.errors?.length).toBeGreaterThan(0);
    } finally {
      await outage.close();
    }
  });
});
