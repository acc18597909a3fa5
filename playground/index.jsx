// The playground page: GraphiQL, bundled at build time with its Monaco workers, so the browser
// loads nothing from outside this server.
import { GraphiQL } from 'graphiql';
import { useGraphiQL } from '@graphiql/react';
import { useState } from 'react';
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

async function fetcher(params, options) {
  const response = await fetch(config.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(options?.headers ?? {}) },
    body: JSON.stringify(params),
  });
  return response.json();
}

/** Development only: asks the server's development issuer for a demo token and puts it in the headers. */
function DevTokenButton() {
  const headerEditor = useGraphiQL((state) => state.headerEditor);
  const [status, setStatus] = useState('');
  const useDevToken = async () => {
    setStatus('…');
    try {
      const response = await fetch(config.devTokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { token } = await response.json();
      headerEditor?.setValue(headersWith(token));
      setStatus('');
    } catch (error) {
      setStatus(`failed: ${error.message}`);
    }
  };
  return (
    <button type="button" className="graphiql-un-styled playground-dev-token" onClick={useDevToken} title="Sign a token for a demo user with the development issuer">
      use a development token{status ? ` ${status}` : ''}
    </button>
  );
}

function Playground() {
  return (
    <GraphiQL
      fetcher={fetcher}
      defaultTabs={exampleTabs(PLACEHOLDER_HEADERS)}
      defaultHeaders={PLACEHOLDER_HEADERS}
      initialHeaders={PLACEHOLDER_HEADERS}
      defaultEditorToolsVisibility="headers"
      shouldPersistHeaders={false}
    >
      <GraphiQL.Logo>Flow package catalog</GraphiQL.Logo>
      {config.devTokenUrl ? (
        <GraphiQL.Footer>
          <DevTokenButton />
        </GraphiQL.Footer>
      ) : null}
    </GraphiQL>
  );
}

createRoot(document.getElementById('playground')).render(<Playground />);
