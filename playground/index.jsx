// The playground page: GraphiQL, bundled at build time with its Monaco workers, so the browser
// loads nothing from outside this server.
import { GraphiQL } from 'graphiql';
import { useGraphiQL } from '@graphiql/react';
import { buildASTSchema, introspectionFromSchema, parse } from 'graphql';
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import { exampleTabs } from './examples.js';

const config = JSON.parse(document.getElementById('playground-config').textContent);
const assets = config.assetsPath;

globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    const name = label === 'json' ? 'json' : label === 'graphql' ? 'graphql' : 'editor';
    return new Worker(`${assets}/${name}.worker.js`);
  },
};

const headersWith = (token) => JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2);
const PLACEHOLDER_HEADERS = headersWith('<token>');

async function post(body, headers = {}) {
  const response = await fetch(config.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return response.json();
}

/**
 * GraphiQL's fetcher. The schema it asks for at page load (the introspection query) needs a
 * token the page may not have yet: without one, the schema comes from the subgraph SDL, which
 * the catalog serves to anyone (`{ _service { sdl } }`), so the docs pane and completion work
 * before the first run and nothing shows an error nobody caused.
 */
async function fetcher(params, options) {
  const headers = options?.headers ?? {};
  const hasToken = Object.entries(headers).some(([name, value]) => name.toLowerCase() === 'authorization' && !String(value).includes('<token>'));
  if (params.operationName === 'IntrospectionQuery' && !hasToken) {
    const answer = await post({ query: '{ _service { sdl } }' });
    const sdl = answer?.data?._service?.sdl;
    if (typeof sdl === 'string') return { data: introspectionFromSchema(buildASTSchema(parse(sdl), { assumeValidSDL: true })) };
  }
  return post({ ...params, operationName: operationNameIn(params.query, params.operationName) }, headers);
}

/**
 * GraphiQL can send the operation name of the tab it just left when Run is pressed right after a
 * tab change; a document with one operation runs that one, whatever name came along.
 */
function operationNameIn(query, operationName) {
  try {
    const names = parse(query)
      .definitions.filter((d) => d.kind === 'OperationDefinition')
      .map((d) => d.name?.value);
    return names.includes(operationName) || names.length !== 1 ? operationName : names[0];
  } catch {
    return operationName;
  }
}

async function devToken() {
  const response = await fetch(config.devTokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()).token;
}

/** Headers the page itself put in tabs (the placeholder, development tokens): safe to replace. */
const pageHeaders = new Set([PLACEHOLDER_HEADERS]);

/**
 * Development only: a fresh demo token from the server's development issuer, for every tab. The
 * active tab gets it at once; any other tab (and a new one) when it is opened, unless its headers
 * were edited by hand.
 */
function DevTokenButton({ latestHeaders, onToken }) {
  const activeTabIndex = useGraphiQL((state) => state.activeTabIndex);
  const headerEditor = useGraphiQL((state) => state.headerEditor);
  const [status, setStatus] = useState('');
  useEffect(() => {
    if (!headerEditor || !latestHeaders) return;
    const current = headerEditor.getValue();
    if (current !== latestHeaders && pageHeaders.has(current)) headerEditor.setValue(latestHeaders);
  }, [activeTabIndex, headerEditor, latestHeaders]);
  const useDevToken = async () => {
    setStatus('…');
    try {
      const headers = headersWith(await devToken());
      pageHeaders.add(headers);
      onToken(headers);
      setStatus('');
    } catch (error) {
      setStatus(`failed: ${error.message}`);
    }
  };
  return (
    <button
      type="button"
      className="graphiql-un-styled playground-dev-token"
      onClick={useDevToken}
      title="Sign a token for a demo user with the development issuer"
    >
      use a development token{status ? ` ${status}` : ''}
    </button>
  );
}

function Playground({ initialHeaders }) {
  // The headers a new tab starts with: the latest development token once there is one.
  const [headers, setHeaders] = useState(initialHeaders);
  return (
    <GraphiQL
      fetcher={fetcher}
      defaultTabs={exampleTabs(initialHeaders)}
      defaultHeaders={headers}
      initialHeaders={initialHeaders}
      defaultEditorToolsVisibility="headers"
      shouldPersistHeaders={false}
    >
      <GraphiQL.Logo>Flow package catalog</GraphiQL.Logo>
      {config.devTokenUrl ? (
        <GraphiQL.Footer>
          <DevTokenButton latestHeaders={headers} onToken={setHeaders} />
        </GraphiQL.Footer>
      ) : null}
    </GraphiQL>
  );
}

// With the development issuer, every tab starts with a demo token: the examples run on the first
// click. Otherwise they hold a placeholder for the caller's own token.
(config.devTokenUrl ? devToken().catch(() => null) : Promise.resolve(null)).then((token) => {
  const headers = token ? headersWith(token) : PLACEHOLDER_HEADERS;
  pageHeaders.add(headers);
  createRoot(document.getElementById('playground')).render(<Playground initialHeaders={headers} />);
});
