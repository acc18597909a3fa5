/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query FlowEntities($representations: [_Any!]!) {\n  _entities(representations: $representations) {\n    __typename\n    ... on Flow {\n      id\n      catalogPackages {\n        id\n        packageId\n      }\n    }\n  }\n}": typeof types.FlowEntitiesDocument,
    "query ListPackages($first: Int, $after: String) {\n  catalogPackages(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        packageId\n        name\n        version\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.ListPackagesDocument,
    "query PackageEntities($representations: [_Any!]!) {\n  _entities(representations: $representations) {\n    __typename\n    ... on CatalogPackage {\n      id\n      tenantId\n      packageId\n      name\n    }\n  }\n}": typeof types.PackageEntitiesDocument,
    "mutation PublishPackage($input: PublishCatalogPackageInput!) {\n  publishCatalogPackage(input: $input) {\n    id\n    tenantId\n    packageId\n    name\n    version\n    sourceFlowId\n  }\n}": typeof types.PublishPackageDocument,
    "mutation SetPackageVisibility($packageId: String!, $visibility: CatalogVisibility!, $visibilityGroupIds: [ID!]) {\n  setCatalogPackageVisibility(\n    packageId: $packageId\n    visibility: $visibility\n    visibilityGroupIds: $visibilityGroupIds\n  ) {\n    id\n    visibility\n  }\n}": typeof types.SetPackageVisibilityDocument,
};
const documents: Documents = {
    "query FlowEntities($representations: [_Any!]!) {\n  _entities(representations: $representations) {\n    __typename\n    ... on Flow {\n      id\n      catalogPackages {\n        id\n        packageId\n      }\n    }\n  }\n}": types.FlowEntitiesDocument,
    "query ListPackages($first: Int, $after: String) {\n  catalogPackages(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        packageId\n        name\n        version\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.ListPackagesDocument,
    "query PackageEntities($representations: [_Any!]!) {\n  _entities(representations: $representations) {\n    __typename\n    ... on CatalogPackage {\n      id\n      tenantId\n      packageId\n      name\n    }\n  }\n}": types.PackageEntitiesDocument,
    "mutation PublishPackage($input: PublishCatalogPackageInput!) {\n  publishCatalogPackage(input: $input) {\n    id\n    tenantId\n    packageId\n    name\n    version\n    sourceFlowId\n  }\n}": types.PublishPackageDocument,
    "mutation SetPackageVisibility($packageId: String!, $visibility: CatalogVisibility!, $visibilityGroupIds: [ID!]) {\n  setCatalogPackageVisibility(\n    packageId: $packageId\n    visibility: $visibility\n    visibilityGroupIds: $visibilityGroupIds\n  ) {\n    id\n    visibility\n  }\n}": types.SetPackageVisibilityDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query FlowEntities($representations: [_Any!]!) {\n  _entities(representations: $representations) {\n    __typename\n    ... on Flow {\n      id\n      catalogPackages {\n        id\n        packageId\n      }\n    }\n  }\n}"): (typeof documents)["query FlowEntities($representations: [_Any!]!) {\n  _entities(representations: $representations) {\n    __typename\n    ... on Flow {\n      id\n      catalogPackages {\n        id\n        packageId\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ListPackages($first: Int, $after: String) {\n  catalogPackages(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        packageId\n        name\n        version\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query ListPackages($first: Int, $after: String) {\n  catalogPackages(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        packageId\n        name\n        version\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PackageEntities($representations: [_Any!]!) {\n  _entities(representations: $representations) {\n    __typename\n    ... on CatalogPackage {\n      id\n      tenantId\n      packageId\n      name\n    }\n  }\n}"): (typeof documents)["query PackageEntities($representations: [_Any!]!) {\n  _entities(representations: $representations) {\n    __typename\n    ... on CatalogPackage {\n      id\n      tenantId\n      packageId\n      name\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PublishPackage($input: PublishCatalogPackageInput!) {\n  publishCatalogPackage(input: $input) {\n    id\n    tenantId\n    packageId\n    name\n    version\n    sourceFlowId\n  }\n}"): (typeof documents)["mutation PublishPackage($input: PublishCatalogPackageInput!) {\n  publishCatalogPackage(input: $input) {\n    id\n    tenantId\n    packageId\n    name\n    version\n    sourceFlowId\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetPackageVisibility($packageId: String!, $visibility: CatalogVisibility!, $visibilityGroupIds: [ID!]) {\n  setCatalogPackageVisibility(\n    packageId: $packageId\n    visibility: $visibility\n    visibilityGroupIds: $visibilityGroupIds\n  ) {\n    id\n    visibility\n  }\n}"): (typeof documents)["mutation SetPackageVisibility($packageId: String!, $visibility: CatalogVisibility!, $visibilityGroupIds: [ID!]) {\n  setCatalogPackageVisibility(\n    packageId: $packageId\n    visibility: $visibility\n    visibilityGroupIds: $visibilityGroupIds\n  ) {\n    id\n    visibility\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;