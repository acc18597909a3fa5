import { z } from 'zod';

/**
 * The flow document (FlowGraph) a package carries. Objects are loose: fields we do not know are
 * kept, because install hands nodes, edges and config back verbatim.
 * docs/FLOW-FORMAT.md describes the format for people.
 */

/** Most nodes in one flow. */
export const MAX_NODES = 500;
/** Most edges in one flow. */
export const MAX_EDGES = 2000;
/** Node, edge and flow ids: 1..128 characters. */
const MAX_ID_LENGTH = 128;
/** Flow and node names: at most this many characters (a name becomes "Copy of {name}"). */
const MAX_NAME_LENGTH = 256;
/** A node type: a letter, then up to 127 of letters, digits, `_`, `.`, `:`, `-` (e.g. `llm.chat`). */
const NODE_TYPE_PATTERN = /^[A-Za-z][\w.:-]{0,127}$/;
/** The flow serialized as compact UTF-8 JSON (`JSON.stringify`) may take at most 1 MiB. */
export const MAX_FLOW_BYTES = 1_048_576;
/** Deepest nesting of objects/arrays anywhere in the flow; keeps every recursive walk bounded. */
export const MAX_DEPTH = 64;

const id = z.string().min(1, 'An id must not be empty').max(MAX_ID_LENGTH, `An id may have at most ${MAX_ID_LENGTH} characters`);
const name = z.string().max(MAX_NAME_LENGTH);
/** A plain JSON object; arrays and class instances (Date, Map) are refused. */
const jsonObject = z.record(z.string(), z.unknown());

/*
 * Optional text fields accept null as "absent": editors (React Flow among them) write
 * `sourceHandle: null` and `description: null`, and refusing those would refuse real flows.
 */
const FlowNodeSchema = z.looseObject({
  id,
  type: z.string().regex(NODE_TYPE_PATTERN, 'Node type must start with a letter and use only letters, digits, _ . : - (at most 128 characters)'),
  name: name.nullish(),
  config: jsonObject.nullish(),
  position: z.looseObject({ x: z.number(), y: z.number() }).nullish(),
});

const FlowEdgeSchema = z.looseObject({
  id: id.nullish(),
  source: id,
  target: id,
  sourceHandle: z.string().max(MAX_ID_LENGTH).nullish(),
  targetHandle: z.string().max(MAX_ID_LENGTH).nullish(),
  condition: z.string().nullish(),
});

export const FlowGraphSchema = z.looseObject({
  // Optional: an unsaved flow published inline has no id yet, and install mints a fresh one anyway.
  id: id.nullish(),
  name: name.nullish(),
  description: z.string().nullish(),
  version: z.union([z.number(), z.string()], { error: 'Expected a number or a string' }).nullish(),
  nodes: z.array(FlowNodeSchema).min(1, 'A flow needs at least one node').max(MAX_NODES, `A flow may have at most ${MAX_NODES} nodes`),
  edges: z.array(FlowEdgeSchema).max(MAX_EDGES, `A flow may have at most ${MAX_EDGES} edges`),
  config: jsonObject.nullish(),
  metadata: jsonObject.nullish(),
});

export type FlowGraph = z.infer<typeof FlowGraphSchema>;
