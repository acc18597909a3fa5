import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Request } from 'express';
import { GraphQLError, parse } from 'graphql';
import { OidcTokenVerifier } from '../../src/infra/auth/oidc-verifier';
import type { Caller } from '../../src/common/caller';
import { flowContent } from './flows';
import type { TestIssuer } from './oidc-issuer';

/**
 * Small but real neighbours of the catalog in a supergraph, for the end-to-end gateway tests: the
 * flows and users subgraphs (Apollo Server + @apollo/subgraph, their SDL from schema/examples/) and
 * an @apollo/gateway in front of all three. Like real services they check the caller's token
 * themselves, so they only answer when the gateway forwards the Authorization header.
 */

const ROOT = path.resolve(__dirname, '../..');
const exampleSdl = (name: string) => parse(readFileSync(path.join(ROOT, 'schema/examples', `${name}.graphql`), 'utf8'));

export interface FlowFixture {
  id: string;
  tenantId: string;
  name: string;
  ownerId: string;
}

export interface UserFixture {
  id: string;
  name: string;
}

export interface RunningServer {
  url: string;
  /** Headers of every request the server received (lower-case names). */
  seenHeaders: Record<string, string | undefined>[];
  close(): Promise<void>;
}

interface SubgraphContext {
  caller: Caller;
}

/** The issuer is looked up at the first request: the catalog under test (and its issuer) may start later. */
function lazyVerifier(issuer: () => TestIssuer): { verify(header: string | undefined): Promise<Caller> } {
  let verifier: OidcTokenVerifier | null = null;
  return {
    verify(header) {
      verifier ??= new OidcTokenVerifier({ issuer: issuer().issuer, audience: issuer().audience });
      return verifier.verify(header);
    },
  };
}

type Verifier = ReturnType<typeof lazyVerifier>;

async function serveSubgraph(
  schema: ReturnType<typeof buildSubgraphSchema>,
  verifier: Verifier,
  extraRoutes: (app: express.Express) => void = () => {},
): Promise<RunningServer> {
  const app = express();
  const httpServer = createServer(app);
  const seenHeaders: RunningServer['seenHeaders'] = [];
  app.use((req, _res, next) => {
    seenHeaders.push({ ...(req.headers as Record<string, string | undefined>) });
    next();
  });
  extraRoutes(app);
  const apollo = new ApolloServer<SubgraphContext>({
    schema,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(apollo, {
      context: async ({ req }) => ({ caller: await callerOrThrow(verifier, req) }),
    }),
  );
  return { ...(await listen(httpServer, '/graphql', () => apollo.stop())), seenHeaders };
}

async function callerOrThrow(verifier: Verifier, req: Request): Promise<Caller> {
  try {
    return await verifier.verify(req.headers.authorization);
  } catch {
    throw new GraphQLError('No valid bearer token', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
  }
}

async function listen(httpServer: Server, pathName: string, stop: () => Promise<void>): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}${pathName}`;
  return {
    url,
    close: async () => {
      await stop();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/**
 * The flows subgraph: owns `Flow`, shows a caller only their tenant's flows, and also serves the
 * flows REST API the catalog reads when publishing by `flowId` (`GET /api/v1/flows/:id`).
 */
export async function startFlowsSubgraph(issuer: () => TestIssuer, flows: FlowFixture[]): Promise<RunningServer> {
  const verifier = lazyVerifier(issuer);
  const visible = (caller: Caller, id: string) => flows.find((flow) => flow.id === id && flow.tenantId === caller.tenantId) ?? null;
  const schema = buildSubgraphSchema([{
    typeDefs: exampleSdl('flows'),
    resolvers: {
      Query: {
        flow: (_: unknown, args: { id: string }, ctx: SubgraphContext) => visible(ctx.caller, args.id),
        flows: (_: unknown, args: { first?: number | null }, ctx: SubgraphContext) => {
          const mine = flows.filter((flow) => flow.tenantId === ctx.caller.tenantId);
          const page = mine.slice(0, args.first ?? 20);
          return {
            edges: page.map((flow) => ({ cursor: flow.id, node: flow })),
            pageInfo: { hasNextPage: page.length < mine.length, endCursor: page.at(-1)?.id ?? null },
          };
        },
      },
      Flow: {
        __resolveReference: (ref: { id: string }, ctx: SubgraphContext) => visible(ctx.caller, ref.id),
        owner: (flow: FlowFixture) => ({ id: flow.ownerId }),
      },
    } as never,
  }]);
  return serveSubgraph(schema, verifier, (app) => {
    app.get('/api/v1/flows/:id', async (req, res) => {
      const caller = await verifier.verify(req.headers.authorization).catch(() => null);
      if (!caller) return void res.status(401).json({ error: 'unauthenticated' });
      const flow = visible(caller, req.params.id);
      if (!flow) return void res.status(404).json({ error: 'not found' });
      res.json({ flow: flowContent(flow.name), permissions: ['read', 'deploy'] });
    });
  });
}

/** The users subgraph: owns `User` (a global directory here, keyed by the token's `sub`). */
export async function startUsersSubgraph(issuer: () => TestIssuer, users: UserFixture[]): Promise<RunningServer> {
  const verifier = lazyVerifier(issuer);
  const schema = buildSubgraphSchema([{
    typeDefs: exampleSdl('users'),
    resolvers: {
      Query: { me: (_: unknown, _args: unknown, ctx: SubgraphContext) => users.find((u) => u.id === ctx.caller.userId) ?? null },
      User: { __resolveReference: (ref: { id: string }) => users.find((u) => u.id === ref.id) ?? null },
    } as never,
  }]);
  return serveSubgraph(schema, verifier);
}

export interface TestGateway {
  url: string;
  close(): Promise<void>;
}

/**
 * @apollo/gateway over a supergraph SDL, with subgraph URLs overridden by name (the supergraph
 * holds the docker-compose host names), forwarding the caller's Authorization header to every
 * subgraph and adding `router-secret` for the catalog only: what router.yaml tells the Router.
 */
export async function startGateway(options: {
  supergraphSdl: string;
  subgraphUrls: Record<string, string>;
  routerSecret?: string;
}): Promise<TestGateway> {
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name }) => {
      const url = options.subgraphUrls[name];
      if (!url) throw new Error(`No test URL for subgraph ${name}`);
      return new RemoteGraphQLDataSource<GatewayContext>({
        url,
        willSendRequest({ request, context }) {
          if (context.authorization) request.http?.headers.set('authorization', context.authorization);
          if (name === 'catalog' && options.routerSecret) request.http?.headers.set('router-secret', options.routerSecret);
        },
      });
    },
  });
  const app = express();
  const httpServer = createServer(app);
  // @apollo/gateway 2.x plugs into Apollo Server 5 as its `gateway` (query planning and fetching).
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer })],
  });
  await apollo.start();
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(apollo, { context: async ({ req }) => ({ authorization: req.headers.authorization }) }),
  );
  const running = await listen(httpServer, '/graphql', () => apollo.stop());
  return { url: running.url, close: running.close };
}

interface GatewayContext {
  authorization?: string;
}
