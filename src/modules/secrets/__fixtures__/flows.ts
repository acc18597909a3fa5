/** Realistic flows to plant credentials in, and the helpers to plant them. */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function supportFlow(): JsonObject {
  return {
    id: 'flow_01HZY3K4Q8V6N2M7P5R9T1W3X5',
    name: 'Customer support triage',
    description: 'Routes tickets to the knowledge base or a human',
    version: 7,
    nodes: [
      { id: 'start', type: 'trigger.webhook', name: 'Ticket received', config: { path: '/hooks/tickets', method: 'POST' }, position: { x: 0, y: 0 } },
      {
        id: 'triage',
        type: 'llm.chat',
        name: 'Triage',
        config: {
          model: 'gpt-4o-mini',
          temperature: 0.2,
          max_tokens: 1024,
          credentials: '{{credentials.openai}}',
          prompt: 'Classify the ticket {{ $json.subject }} as billing, bug or question. Never ask for a password.',
        },
        position: { x: 240, y: 0 },
      },
      {
        id: 'kb',
        type: 'kb:search',
        name: 'Search the knowledge base',
        config: { index: 'support-articles', topK: 5, filter: { locale: 'en-GB' } },
        position: { x: 480, y: -120 },
      },
      {
        id: 'crm',
        type: 'http.request',
        name: 'Create CRM case',
        config: {
          url: 'https://crm.example.com/api/v2/cases?source=catalog',
          method: 'POST',
          headers: { Authorization: 'Bearer {{credentials.crm}}', 'Content-Type': 'application/json' },
          body: { subject: '={{ $json.subject }}', priority: 'normal' },
        },
        position: { x: 480, y: 120 },
      },
      {
        id: 'store',
        type: 'db.postgres',
        name: 'Log the ticket',
        config: { connection: '{{credentials.postgres}}', query: 'INSERT INTO tickets (id, subject) VALUES ($1, $2)' },
        position: { x: 720, y: 0 },
      },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'triage', sourceHandle: null, targetHandle: null },
      { id: 'e2', source: 'triage', target: 'kb', condition: 'category == "question"', data: { label: 'question' } },
      { id: 'e3', source: 'triage', target: 'crm', condition: 'category != "question"', data: { label: 'other' } },
      { id: 'e4', source: 'kb', target: 'store' },
    ],
    config: { timezone: 'Europe/Berlin', retries: { max: 3, backoffMs: 500 } },
    metadata: { createdBy: 'u_7f3c9a2e', tags: ['support', 'triage'] },
  };
}

/** A flow of `count` nodes in a chain, each with a config like the ones editors write. */
export function largeFlow(count: number): JsonObject {
  const nodes: Json[] = [];
  const edges: Json[] = [];
  for (let i = 0; i < count; i++) {
    nodes.push({
      id: `node-${i}`,
      type: i % 3 === 0 ? 'llm.chat' : i % 3 === 1 ? 'http.request' : 'transform.map',
      name: `Step ${i}: enrich the ticket`,
      config: {
        model: 'gpt-4o-mini',
        url: `https://api.example.com/v1/items/${i}?expand=owner`,
        headers: { Authorization: 'Bearer {{credentials.api}}', Accept: 'application/json' },
        prompt: `You are step ${i}. Summarise {{ $json.body }} in two sentences for the support team.`,
        mapping: { target: `fields.step${i}`, source: '$.payload.items[*].value' },
        requestId: '6f1c2a9e-3b7d-4e58-9a0c-1d2e3f4a5b6c',
      },
      position: { x: i * 200, y: 0 },
    });
    if (i > 0) edges.push({ id: `e-${i}`, source: `node-${i - 1}`, target: `node-${i}`, data: { label: `to ${i}` } });
  }
  return { id: 'flow_large', name: 'Large flow', nodes, edges };
}

function unescapeSegment(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Sets `value` at the RFC 6901 `pointer` in `root`, creating objects on the way; returns `root`. */
export function plant<T extends Json>(root: T, pointer: string, value: Json): T {
  const segments = pointer.split('/').slice(1).map(unescapeSegment);
  let target = root as { [key: string]: Json };
  for (const segment of segments.slice(0, -1)) {
    if (target[segment] === undefined || target[segment] === null || typeof target[segment] !== 'object') target[segment] = {};
    target = target[segment] as { [key: string]: Json };
  }
  target[segments[segments.length - 1]!] = value;
  return root;
}

export type { Json };
