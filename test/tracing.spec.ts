import { Trace } from '@apollo/usage-reporting-protobuf';
import { catalogOps, flowContent } from './support/catalog-ops';
import { startTestApp, uniqueTenant, type TestApp } from './support/test-app';

/**
 * Federated tracing (ftv1): a router asks for a trace with `apollo-federation-include-trace: ftv1`
 * and gets the resolver timings back in `extensions.ftv1`, a base64 protobuf `Trace`.
 */

type TraceNode = Trace.INode;

/** Flattens the trace tree into `Parent.field` paths with their timings. */
function resolverTimings(node: TraceNode, into: { path: string; start: number; end: number }[] = [], prefix = ''): typeof into {
  for (const child of node.child ?? []) {
    // Protobuf decodes an unset string as '': list items carry an index instead of a name.
    const step = child.responseName || `[${child.index}]`;
    const path = prefix ? `${prefix}.${step}` : step;
    if (child.responseName) into.push({ path, start: Number(child.startTime), end: Number(child.endTime) });
    resolverTimings(child, into, path);
  }
  return into;
}

describe('federated tracing (ftv1)', () => {
  let t: TestApp;
  let token: string;
  const QUERY = '{ catalogPackages(first: 5) { edges { node { packageId name version } } } }';

  beforeAll(async () => {
    t = await startTestApp();
    const tenant = uniqueTenant('trace');
    token = await t.token({ tenant, user: 'alice' });
    const published = await catalogOps(t).publish(token, { packageId: 'traced', version: '1.0.0', content: flowContent() });
    expect(published.ok).toBe(true);
  }, 60_000);
  afterAll(() => t?.close());

  it('answers a request that asks for it with a trace holding every resolved field and its timing', async () => {
    const response = await t.gql(token, QUERY, {}, { 'apollo-federation-include-trace': 'ftv1' });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const ftv1 = (response.body as { extensions?: { ftv1?: string } }).extensions?.ftv1;
    expect(typeof ftv1).toBe('string');

    const trace = Trace.decode(Buffer.from(ftv1!, 'base64'));
    expect(Number(trace.durationNs)).toBeGreaterThan(0);
    const timings = resolverTimings(trace.root!);
    expect(timings.map((timing) => timing.path)).toEqual(
      expect.arrayContaining([
        'catalogPackages',
        'catalogPackages.edges',
        'catalogPackages.edges.[0].node',
        'catalogPackages.edges.[0].node.packageId',
        'catalogPackages.edges.[0].node.version',
      ]),
    );
    const root = trace.root!.child!.find((node) => node.responseName === 'catalogPackages')!;
    expect(root.parentType).toBe('Query');
    expect(root.type).toMatch(/CatalogPackageConnection/);
    for (const timing of timings) expect(timing.end).toBeGreaterThanOrEqual(timing.start);
    // The list resolver did real work (a SQL query): its span is not empty.
    expect(Number(root.endTime)).toBeGreaterThan(Number(root.startTime));
  });

  it('adds no trace to a request that does not ask for one, nor to one that asks for another format', async () => {
    for (const headers of [{}, { 'apollo-federation-include-trace': 'ftv2' }]) {
      const response = await t.gql(token, QUERY, {}, headers);
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
      expect((response.body as { extensions?: unknown }).extensions).toBeUndefined();
    }
  });
});
