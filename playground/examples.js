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
    // Every {{params.name}} the flow uses is declared; install fills them in.
    parameters: [{ name: 'greeting', type: 'string', default: 'Hello', description: 'What the flow says' }],
    runtime: '>=1',
    content: {
      name: 'Hello flow',
      nodes: [
        { id: 'start', type: 'trigger', config: { event: 'manual' } },
        { id: 'say', type: 'action', typeVersion: 2, config: { message: '{{params.greeting}}', channel: '{{credentials.chat}}' } },
      ],
      edges: [{ source: 'start', target: 'say' }],
    },
  },
};

const installMutation = `# Install a copy of a package: a flow with a fresh id, ready to save as your own.
# Parameter values and credential bindings are stamped into the copy.
mutation InstallPackage($packageId: String!, $parameters: JSON, $credentialBindings: [CatalogCredentialBindingInput!]) {
  installCatalogPackage(packageId: $packageId, parameters: $parameters, credentialBindings: $credentialBindings) {
    flow
    metadata {
      packageId
      name
      version
      authorEmail
      parameters
      credentialBindings { slot credential }
    }
  }
}
`;

const installVariables = { packageId: 'hello-flow', parameters: { greeting: 'Hi there' }, credentialBindings: [{ slot: 'chat', credential: 'team-chat' }] };

const checkQuery = `# Before installing: would the flow run where it lands? Every missing node type,
# credential, runtime or parameter is listed; nothing is written.
query CheckInstall($packageId: String!, $environment: CatalogEnvironmentInput!) {
  catalogInstallCheck(packageId: $packageId, environment: $environment) {
    version
    installable
    problems { code subject message nodeIds }
    bindings { slot credential matchedBy }
    newestCompatibleVersion
  }
}
`;

const checkVariables = {
  packageId: 'hello-flow',
  environment: {
    nodeTypes: [{ type: 'trigger' }, { type: 'action', version: '1.4' }],
    credentials: [{ name: 'team-chat', kind: 'slack' }],
    runtimeVersion: '1.2.0',
  },
};

export const exampleTabs = (headers) => [
  { query: listQuery, variables: JSON.stringify({ first: 20 }, null, 2), headers },
  { query: publishMutation, variables: JSON.stringify(publishVariables, null, 2), headers },
  { query: checkQuery, variables: JSON.stringify(checkVariables, null, 2), headers },
  { query: installMutation, variables: JSON.stringify(installVariables, null, 2), headers },
];
