import 'reflect-metadata';
import type { GraphQLRequestContextDidResolveOperation, GraphQLRequestListener } from '@apollo/server';
import { parse, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { Bulkhead } from '../src/common/bulkhead';
import { AnswerCapacityError } from '../src/common/errors';
import { loadConfig } from '../src/config';
import { queryCostLimit, type LargeAnswerLane } from '../src/graphql/cost';
import { buildCatalogSubgraphSchema } from '../src/graphql/schema';

type Listener = GraphQLRequestListener<Record<string, never>>;
type ResolvedContext = GraphQLRequestContextDidResolveOperation<Record<string, never>>;

/**
 * The lane of large answers (docs/API.md, "Answer size"): answers whose estimate passes the
 * threshold are built one at a time, small ones never wait, and a waiter that waits too long is
 * refused with SERVICE_UNAVAILABLE (reason large-answers). Driven through the plugin's own hooks
 * on the real schema.
 */
describe('the lane of large answers', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildCatalogSubgraphSchema();
  });

  const LARGE = '{ catalogPackages { edges { node { readme } } } }'; // 20 readmes: 5 MiB at most
  const SMALL = '{ catalogPackages(first: 5) { edges { node { packageId } } } }';

  async function start(lane: LargeAnswerLane, query: string): Promise<{ listener: Listener; resolved: Promise<void> }> {
    const plugin = queryCostLimit(10_000, 8 * 1_048_576, lane);
    const listener = (await plugin.requestDidStart!({} as never)) as Listener;
    const document = parse(query);
    const operation = document.definitions[0] as OperationDefinitionNode;
    const context = { operation, document, schema, request: { variables: {} } } as unknown as ResolvedContext;
    return { listener, resolved: listener.didResolveOperation!(context) };
  }
  const settled = async (promise: Promise<unknown>) =>
    Promise.race([
      promise.then(
        () => 'done',
        () => 'refused',
      ),
      new Promise((r) => setTimeout(() => r('waiting'), 50)),
    ]);
  const answered = async (listener: Listener) => {
    await listener.willSendResponse!({} as never);
    await new Promise((resolve) => setImmediate(resolve));
  };

  it('builds one large answer at a time and lets small ones through', async () => {
    const lane = { bytes: 1_048_576, bulkhead: new Bulkhead(1, 5_000, () => new AnswerCapacityError()) };
    const first = await start(lane, LARGE);
    expect(await settled(first.resolved)).toBe('done');
    const second = await start(lane, LARGE);
    expect(await settled(second.resolved)).toBe('waiting');
    const small = await start(lane, SMALL);
    expect(await settled(small.resolved)).toBe('done');
    await answered(first.listener);
    expect(await settled(second.resolved)).toBe('done');
    await answered(second.listener);
    expect(lane.bulkhead.inFlight).toBe(0);
  });

  it('refuses a large answer that waited past its deadline with SERVICE_UNAVAILABLE (large-answers)', async () => {
    const lane = { bytes: 1_048_576, bulkhead: new Bulkhead(1, 30, () => new AnswerCapacityError()) };
    const first = await start(lane, LARGE);
    await first.resolved;
    const second = await start(lane, LARGE);
    const refusal = await second.resolved.then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(AnswerCapacityError);
    expect((refusal as AnswerCapacityError).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'large-answers' });
    await answered(first.listener);
    expect(lane.bulkhead.inFlight).toBe(0);
  });
});

describe('LARGE_ANSWER_CONCURRENCY', () => {
  it('defaults to 1, takes a count, and refuses anything else', () => {
    expect(loadConfig({}).tuning.largeAnswerConcurrency).toBe(1);
    expect(loadConfig({ LARGE_ANSWER_CONCURRENCY: '3' }).tuning.largeAnswerConcurrency).toBe(3);
    expect(() => loadConfig({ LARGE_ANSWER_CONCURRENCY: '0' })).toThrow(/LARGE_ANSWER_CONCURRENCY/);
    expect(() => loadConfig({ LARGE_ANSWER_CONCURRENCY: 'many' })).toThrow(/LARGE_ANSWER_CONCURRENCY/);
  });
});
