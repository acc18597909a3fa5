import 'reflect-metadata';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives, type IResolvers } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import gql from 'graphql-tag';
import { buildSchema, createResolversMap } from 'type-graphql';
import { CatalogPackageSourceFlowResolver, FlowCatalogResolver } from './flow-link/flow-link.resolver';
import { FlowRef } from './flow-link/flow-link.types';
import { catalogPackageReference } from './package/package.reference';
import { CatalogInstallCheckResolver } from './package/install-check.resolver';
import { CatalogUpgradeResolver } from './package/upgrade.resolver';
import { CatalogPackageResolver, CatalogUpdateResolver } from './package/package.resolver';
import { CatalogMetadataResolver } from './package/metadata.resolver';
import { CatalogChannelResolver } from './package/channel.resolver';
import { CatalogQuarantineResolver } from './package/quarantine.resolver';
import { CatalogReviewResolver } from './package/review.resolver';
import { CatalogPublishPolicyResolver } from './publish-policy/publish-policy.resolver';
import { CatalogUsageResolver } from './quota/usage.resolver';

/** Pinned: composition behaviour changes between federation versions. */
const FEDERATION_LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])`;

/** The subgraph SDL printed from the type-graphql code, with federation directives. */
export async function buildCatalogSdl(): Promise<{ sdl: string; typeGraphqlSchema: GraphQLSchema }> {
  const typeGraphqlSchema = await buildSchema({
    resolvers: [
      CatalogPackageResolver,
      CatalogUpdateResolver,
      CatalogInstallCheckResolver,
      CatalogUpgradeResolver,
      CatalogQuarantineResolver,
      CatalogMetadataResolver,
      CatalogReviewResolver,
      CatalogChannelResolver,
      CatalogPackageSourceFlowResolver,
      FlowCatalogResolver,
      CatalogUsageResolver,
      CatalogPublishPolicyResolver,
    ],
    // Only reachable through `_entities` (the router brings Flow representations), never from Query.
    orphanedTypes: [FlowRef],
    // Federation adds _service/_entities later; type-graphql's own checks would reject the partial schema.
    skipCheck: true,
    validate: false,
  });
  // type-graphql has no option for the root types' own descriptions.
  typeGraphqlSchema.getQueryType()!.description = 'Reading the catalog: packages, their audit trail, tenant usage and publish policies';
  typeGraphqlSchema.getMutationType()!.description =
    'Changing the catalog: publish, install, metadata, visibility, version status, review, quarantine, delete, publish policies';
  return { sdl: `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(typeGraphqlSchema)}`, typeGraphqlSchema };
}

/** type-graphql code first, then Apollo's subgraph builder with the reference resolvers merged in. */
export async function buildCatalogSubgraphSchema(): Promise<GraphQLSchema> {
  const { sdl, typeGraphqlSchema } = await buildCatalogSdl();
  const resolvers = createResolversMap(typeGraphqlSchema) as IResolvers;
  for (const [typeName, fields] of Object.entries(catalogPackageReference)) {
    resolvers[typeName] = { ...(resolvers[typeName] as object), ...fields };
  }
  return buildSubgraphSchema([{ typeDefs: gql(sdl), resolvers: resolvers as never }]);
}
