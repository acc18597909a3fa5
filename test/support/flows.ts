/**
 * Flow documents for tests: build them here instead of writing literals in each test, so a change
 * of the flow format is one edit. The catalog keeps a flow verbatim, so fields it does not know
 * (position, handles, custom fields) are part of what tests check.
 */
export type FlowDocument = Record<string, unknown>;

/** The smallest flow that compiles: one start node, no edges. */
export function flowContent(name = 'A flow'): FlowDocument {
  return { name, nodes: [{ id: 'start', type: 'start' }], edges: [] };
}

export interface FlowOptions {
  name?: string;
  id?: string;
  /** The flow-level `config`. */
  config?: Record<string, unknown>;
  /** Extra fields of the node at `index` (config, position, …). */
  node?: (index: number) => Record<string, unknown>;
  /** Extra fields of the edge into the node at `index + 1` (handles, conditions, …). */
  edge?: (index: number) => Record<string, unknown>;
}

/** A chain of nodes of the given types (`start`, `node-1`, …), each linked to the next by an edge. */
export function flowOfTypes(types: readonly string[], options: FlowOptions = {}): FlowDocument {
  const nodes: { id: string; type: string }[] = types.map((type, index) => ({ id: index === 0 ? 'start' : `node-${index}`, type, ...options.node?.(index) }));
  const edges = nodes.slice(1).map((node, index) => ({ id: `e${index + 1}`, source: nodes[index]!.id, target: node.id, ...options.edge?.(index) }));
  return {
    ...(options.id === undefined ? {} : { id: options.id }),
    name: options.name ?? 'A flow',
    nodes,
    edges,
    ...(options.config === undefined ? {} : { config: options.config }),
  };
}

/**
 * The flow of the API reference's examples ("Customer Support"), with the fields a flow editor
 * adds that the catalog must keep as they are.
 */
export const CUSTOMER_SUPPORT_FLOW = {
  id: 'flow_abc123',
  name: 'Customer Support',
  description: 'Triage + KB + HITL',
  version: 7,
  nodes: [
    { id: 'start', type: 'trigger.webhook', name: 'Webhook', config: { path: '/support' }, position: { x: 0, y: 0 } },
    { id: 'triage', type: 'llm.chat', name: 'Triage', config: { model: 'small', temperature: 0.2 }, position: { x: 200, y: 0 } },
    { id: 'kb', type: 'kb.search', config: { index: 'support' }, customField: [1, 2, 3] },
    { id: 'hitl', type: 'human.review', config: {} },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'triage', sourceHandle: null },
    { id: 'e2', source: 'triage', target: 'kb', condition: 'needs_kb' },
    { id: 'e3', source: 'triage', target: 'hitl', condition: 'escalate' },
  ],
  config: { retries: 2 },
};

/** The API reference's REST body that publishes CUSTOMER_SUPPORT_FLOW by its flow id. */
export const CUSTOMER_SUPPORT_BY_FLOW_ID = {
  package_id: 'customer-support',
  name: 'Customer Support',
  description: 'Triage + KB + HITL',
  version: '0.2.0',
  readme: '# Customer Support\n\n...',
  flow_id: 'flow_abc123',
};
