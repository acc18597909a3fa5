/**
 * Helpers for the end-to-end federation tests. The flows and users subgraphs and the gateway
 * (Hive Gateway) are the ones `npm run supergraph` runs: scripts/lib/.
 */
export { startFlowsSubgraph, startUsersSubgraph, type FlowFixture, type RunningServer, type UserFixture } from '../../scripts/lib/example-subgraphs';
export { startHiveGateway, type RunningGateway } from '../../scripts/lib/hive-gateway';
export { bearer, postTyped, type GqlResult } from './graphql-client';
