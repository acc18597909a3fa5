// The operations preloaded as tabs. Inline flows go in variables, so documents stay small.

const listQuery = `# Packages you may see, newest first.
query ListPackages($first: Int, $after: String) {
  catalogPackages(first: $first, after: $after) {
    edges {
      node {
        packageId
        name
        version
        visibility
        authorEmail
        updatedAt
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`;

const publishMutation = `# Publish an inline flow (needs scaicore:manage). Publishing the same version
# again bumps the patch. Add an "Idempotency-Key" header to make a retry safe.
mutation PublishPackage($input: PublishCatalogPackageInput!) {
  publishCatalogPackage(input: $input) {
    packageId
    name
    version
    createdAt
    updatedAt
  }
}
`;

const publishVariables = {
  input: {
    packageId: 'hello-flow',
    name: 'Hello flow',
    description: 'A two-node example flow',
    version: '0.1.0',
    content: {
      name: 'Hello flow',
      nodes: [
        { id: 'start', type: 'trigger', config: { event: 'manual' } },
        { id: 'say', type: 'action', config: { message: 'Hello' } },
      ],
      edges: [{ source: 'start', target: 'say' }],
    },
  },
};

const installMutation = `# Install a copy of a package: a flow with a fresh id, ready to save as your own.
mutation InstallPackage($packageId: String!) {
  installCatalogPackage(packageId: $packageId) {
    flow
    metadata {
      packageId
      name
      version
      authorEmail
    }
  }
}
`;

export const exampleTabs = (headers) => [
  { query: listQuery, variables: JSON.stringify({ first: 20 }, null, 2), headers },
  { query: publishMutation, variables: JSON.stringify(publishVariables, null, 2), headers },
  { query: installMutation, variables: JSON.stringify({ packageId: 'hello-flow' }, null, 2), headers },
];
