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
    "query FlowWithPackages($id: ID!) {\n  flow(id: $id) {\n    id\n    name\n    owner {\n      id\n      name\n    }\n    catalogPackages {\n      packageId\n      tenantId\n      name\n      version\n      author {\n        id\n        name\n      }\n    }\n  }\n}": typeof types.FlowWithPackagesDocument,
    "query FlowsPage($first: Int) {\n  flows(first: $first) {\n    edges {\n      node {\n        id\n        name\n        catalogPackages {\n          packageId\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n    }\n  }\n}": typeof types.FlowsPageDocument,
    "query GatewayPackage($packageId: String!) {\n  catalogPackage(packageId: $packageId) {\n    packageId\n    name\n    author {\n      id\n      name\n    }\n  }\n}": typeof types.GatewayPackageDocument,
    "query GatewayPackages($first: Int) {\n  catalogPackages(first: $first) {\n    edges {\n      node {\n        id\n        tenantId\n        packageId\n        name\n        authorEmail\n        author {\n          id\n          name\n        }\n        sourceFlow {\n          id\n          name\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.GatewayPackagesDocument,
};
const documents: Documents = {
    "query FlowWithPackages($id: ID!) {\n  flow(id: $id) {\n    id\n    name\n    owner {\n      id\n      name\n    }\n    catalogPackages {\n      packageId\n      tenantId\n      name\n      version\n      author {\n        id\n        name\n      }\n    }\n  }\n}": types.FlowWithPackagesDocument,
    "query FlowsPage($first: Int) {\n  flows(first: $first) {\n    edges {\n      node {\n        id\n        name\n        catalogPackages {\n          packageId\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n    }\n  }\n}": types.FlowsPageDocument,
    "query GatewayPackage($packageId: String!) {\n  catalogPackage(packageId: $packageId) {\n    packageId\n    name\n    author {\n      id\n      name\n    }\n  }\n}": types.GatewayPackageDocument,
    "query GatewayPackages($first: Int) {\n  catalogPackages(first: $first) {\n    edges {\n      node {\n        id\n        tenantId\n        packageId\n        name\n        authorEmail\n        author {\n          id\n          name\n        }\n        sourceFlow {\n          id\n          name\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.GatewayPackagesDocument,
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
export function graphql(source: "query FlowWithPackages($id: ID!) {\n  flow(id: $id) {\n    id\n    name\n    owner {\n      id\n      name\n    }\n    catalogPackages {\n      packageId\n      tenantId\n      name\n      version\n      author {\n        id\n        name\n      }\n    }\n  }\n}"): (typeof documents)["query FlowWithPackages($id: ID!) {\n  flow(id: $id) {\n    id\n    name\n    owner {\n      id\n      name\n    }\n    catalogPackages {\n      packageId\n      tenantId\n      name\n      version\n      author {\n        id\n        name\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query FlowsPage($first: Int) {\n  flows(first: $first) {\n    edges {\n      node {\n        id\n        name\n        catalogPackages {\n          packageId\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n    }\n  }\n}"): (typeof documents)["query FlowsPage($first: Int) {\n  flows(first: $first) {\n    edges {\n      node {\n        id\n        name\n        catalogPackages {\n          packageId\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GatewayPackage($packageId: String!) {\n  catalogPackage(packageId: $packageId) {\n    packageId\n    name\n    author {\n      id\n      name\n    }\n  }\n}"): (typeof documents)["query GatewayPackage($packageId: String!) {\n  catalogPackage(packageId: $packageId) {\n    packageId\n    name\n    author {\n      id\n      name\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query GatewayPackages($first: Int) {\n  catalogPackages(first: $first) {\n    edges {\n      node {\n        id\n        tenantId\n        packageId\n        name\n        authorEmail\n        author {\n          id\n          name\n        }\n        sourceFlow {\n          id\n          name\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query GatewayPackages($first: Int) {\n  catalogPackages(first: $first) {\n    edges {\n      node {\n        id\n        tenantId\n        packageId\n        name\n        authorEmail\n        author {\n          id\n          name\n        }\n        sourceFlow {\n          id\n          name\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;