import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Request } from 'express';
import { GraphQLError, parse } from 'graphql';
import type { Caller } from '../../src/common/caller';
import { OidcTokenVerifier } from '../../src/infra/auth/oidc-verifier';

/**
 * Small but real neighbours of the catalog in a supergraph: the flows and users subgraphs (Apollo
 * Server + @apollo/subgraph, their SDL from schema/examples/), used by `npm run supergraph` and
 * the end-to-end gateway tests. Like real services they check the caller's token themselves, so
 * they only answer when the gateway forwards the Authorization header.
 */

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

/** Whose tokens the subgraphs accept; asked at the first request, as the issuer may start later. */
export type IssuerRef = () => { issuer: string; audience: string };

export interface RunningServer {
  url: string;
  /** Headers of every request the server received (lower-case names). */
  seenHeaders: Record<string, string | undefined>[];
  close(): Promise<void>;
}

interface SubgraphContext {
  caller: Caller;
}

/** The repository root, from the sources (scripts/lib) as from the build (dist/scripts/lib). */
function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

const exampleSdl = (name: string) => parse(readFileSync(path.join(repositoryRoot(), 'schema/examples', `${name}.graphql`), 'utf8'));

function lazyVerifier(issuer: IssuerRef): { verify(header: string | undefined): Promise<Caller> } {
  let verifier: OidcTokenVerifier | null = null;
  return {
    verify(header) {
      const { issuer: url, audience } = issuer();
      verifier ??= new OidcTokenVerifier({ issuer: url, audience });
      return verifier.verify(header);
    },
  };
}

type Verifier = ReturnType<typeof lazyVerifier>;

async function serveSubgraph(
  schema: ReturnType<typeof buildSubgraphSchema>,
  verifier: Verifier,
  port: number,
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
    // Like a real subgraph: no stack traces in answers (the gateway would pass them on to
    // clients), and an error without a code of its own is masked.
    includeStacktraceInErrorResponses: false,
    formatError: (formatted) =>
      formatted.extensions?.['code'] && formatted.extensions['code'] !== 'INTERNAL_SERVER_ERROR'
        ? formatted
        : { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
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
  return { ...(await listen(httpServer, port, '/graphql', () => apollo.stop())), seenHeaders };
}

async function callerOrThrow(verifier: Verifier, req: Request): Promise<Caller> {
  try {
    return await verifier.verify(req.headers.authorization);
  } catch {
    throw new GraphQLError('No valid bearer token', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
  }
}

/** Listens on 127.0.0.1 (`port` 0: any free port); `close` stops the server and its connections. */
export async function listen(httpServer: Server, port: number, pathName: string, stop: () => Promise<void>): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, '127.0.0.1', resolve);
  });
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
export async function startFlowsSubgraph(issuer: IssuerRef, flows: FlowFixture[], port = 0): Promise<RunningServer> {
  const verifier = lazyVerifier(issuer);
  const visible = (caller: Caller, id: string) => flows.find((flow) => flow.id === id && flow.tenantId === caller.tenantId) ?? null;
  const schema = buildSubgraphSchema([
    {
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
    },
  ]);
  return serveSubgraph(schema, verifier, port, (app) => {
    app.get('/api/v1/flows/:id', async (req, res) => {
      const caller = await verifier.verify(req.headers.authorization).catch(() => null);
      if (!caller) return void res.status(401).json({ error: 'unauthenticated' });
      const flow = visible(caller, req.params.id);
      if (!flow) return void res.status(404).json({ error: 'not found' });
      res.json({ flow: { name: flow.name, nodes: [{ id: 'start', type: 'start' }], edges: [] }, permissions: ['read', 'deploy'] });
    });
  });
}

/** The users subgraph: owns `User` (a global directory here, keyed by the token's `sub`). */
export async function startUsersSubgraph(issuer: IssuerRef, users: UserFixture[], port = 0): Promise<RunningServer> {
  const verifier = lazyVerifier(issuer);
  const schema = buildSubgraphSchema([
    {
      typeDefs: exampleSdl('users'),
      resolvers: {
        Query: { me: (_: unknown, _args: unknown, ctx: SubgraphContext) => users.find((u) => u.id === ctx.caller.userId) ?? null },
        User: { __resolveReference: (ref: { id: string }) => users.find((u) => u.id === ref.id) ?? null },
      } as never,
    },
  ]);
  return serveSubgraph(schema, verifier, port);
}
