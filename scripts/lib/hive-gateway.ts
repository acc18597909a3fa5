import { createServer, type RequestListener } from 'node:http';
import { createRequire } from 'node:module';
import { parse, type DocumentNode } from 'graphql';
import { listen } from './example-subgraphs';

/**
 * The part of `@graphql-hive/gateway` used here. Loaded without its own type declarations:
 * they pull the DOM library into the whole project's type check (@whatwg-node/fetch), which breaks
 * Node's `fetch` types everywhere else.
 */
interface GatewayRuntimeModule {
  createGatewayRuntime(config: {
    supergraph: DocumentNode;
    transportEntries: Record<string, { location: string }>;
    propagateHeaders: {
      fromClientToSubgraphs(payload: { request: Request; subgraphName: string }): Record<string, string | null>;
    };
    logging: boolean;
    graphqlEndpoint: string;
  }): RequestListener & { dispose(): Promise<void> | void };
}
const { createGatewayRuntime } = createRequire(__filename)('@graphql-hive/gateway') as GatewayRuntimeModule;

export interface HiveGatewayOptions {
  /** The supergraph SDL (supergraph.graphql). */
  supergraphSdl: string;
  /** Subgraph URLs by name: they replace the docker-compose host names the supergraph holds. */
  subgraphUrls: Record<string, string>;
  /** Sent to the catalog only, as `router-secret` (what router.yaml tells the Apollo Router). */
  routerSecret?: string | null;
  /** 0 (default): any free port. */
  port?: number;
  /** Hive Gateway's own log lines; off unless asked for. */
  logging?: boolean;
}

export interface RunningGateway {
  url: string;
  close(): Promise<void>;
}

/** Headers every subgraph gets from the caller's request. */
const FORWARDED = ['authorization', 'traceparent', 'tracestate'] as const;

/**
 * Hive Gateway (a production federation gateway on npm) over the supergraph, in this process. The
 * caller's `Authorization` and W3C trace context go to every subgraph; `x-request-id` is carried
 * by the gateway itself (its request-id plugin reuses the caller's, or makes one).
 */
export async function startHiveGateway(options: HiveGatewayOptions): Promise<RunningGateway> {
  const gateway = createGatewayRuntime({
    supergraph: parse(options.supergraphSdl),
    transportEntries: Object.fromEntries(Object.entries(options.subgraphUrls).map(([name, location]) => [name, { location }])),
    propagateHeaders: {
      fromClientToSubgraphs: ({ request, subgraphName }) => {
        const headers: Record<string, string | null> = {};
        for (const name of FORWARDED) headers[name] = request.headers.get(name);
        if (subgraphName === 'catalog' && options.routerSecret) headers['router-secret'] = options.routerSecret;
        return headers;
      },
    },
    logging: options.logging ?? false,
    graphqlEndpoint: '/graphql',
  });
  const server = createServer(gateway);
  return listen(server, options.port ?? 0, '/graphql', async () => gateway.dispose());
}
