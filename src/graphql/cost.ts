import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  getNamedType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  getNullableType,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Bulkhead } from '../common/bulkhead';
import { CatalogError, ResponseTooLargeError } from '../common/errors';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../common/pagination';
import { MAX_FLOW_BYTES } from '../modules/flow/flow-graph';
import { LIMITS } from '../modules/package/package.validation';

/**
 * The cost of one operation, counted before it runs (docs/API.md, "Limits"): every field costs
 * its weight once per object it is resolved on, and a list multiplies what is below it by how
 * many items it is expected to hold: `first` (default 20; `newerVersions` 10), the number of
 * distinct `_entities` representations or `catalogUpdates` inputs, or 5 for a list without `first` (a
 * flow's packages). The same walk bounds the answer's size (FIELD_MAX_BYTES). Fields that carry large payloads
 * weigh more. Five aliased `catalogPackages(first: 100) { … readme versions(first: 100) … }` cost
 * about 150,000; a playground page of 20 packages with their first 5 versions about 600.
 */
const FIELD_WEIGHTS: Readonly<Record<string, number>> = {
  readme: 10,
  changelog: 10,
  flow: 20,
  diff: 20,
};

/**
 * The most bytes one value of a field can add to an answer, for the fields that can be large
 * (`Type.field`): the input limits they were published under (a character is at most 4 bytes of
 * UTF-8). Any other field counts SMALL_FIELD_BYTES, a list of scalars SCALAR_LIST_BYTES; the
 * size check after execution (`responseSizeLimit`) catches what these miss.
 */
const FIELD_MAX_BYTES: Readonly<Record<string, number>> = {
  'CatalogPackage.readme': LIMITS.readmeMaxBytes,
  'CatalogPackage.description': 4 * LIMITS.descriptionMax,
  'CatalogPackageVersion.changelog': LIMITS.changelogMaxBytes,
  'CatalogInstallResult.flow': MAX_FLOW_BYTES,
  'CatalogFlowDiff.nodesAdded': MAX_FLOW_BYTES,
  'CatalogFlowDiff.nodesRemoved': MAX_FLOW_BYTES,
  'CatalogFlowDiff.edgesAdded': MAX_FLOW_BYTES,
  'CatalogFlowDiff.edgesRemoved': MAX_FLOW_BYTES,
  'CatalogNodeChange.before': MAX_FLOW_BYTES,
  'CatalogNodeChange.after': MAX_FLOW_BYTES,
  '_Service.sdl': 256 * 1024,
};
const SMALL_FIELD_BYTES = 128;
const SCALAR_LIST_BYTES = 4 * 1024;

/**
 * Fields whose whole answer is bounded whatever is selected below: a diff holds parts of two
 * flows at most, each at most MAX_FLOW_BYTES.
 */
const SUBTREE_MAX_BYTES: Readonly<Record<string, number>> = {
  'Query.catalogPackageDiff': 2 * MAX_FLOW_BYTES + 64 * 1024,
};

/**
 * Below these fields the large values are measured by the statement that reads them, before it
 * reads them, and refused past the limit (`checkUpdates`): counting them at their maximum would
 * refuse 500 copies whose changelogs are a line each.
 */
const MEASURED_BELOW = new Set(['CatalogUpdate.newerVersions']);

/**
 * What a list without `first` is counted as: a flow's packages (`Flow.catalogPackages`). A flow
 * is published into a handful of packages; PACKAGES_PER_FLOW only bounds a runaway one, and a
 * router asking for 100 flows' packages at once must stay within the budget.
 */
const LIST_SIZE_WITHOUT_FIRST = 5;

class QueryCostLimitError extends CatalogError {
  constructor(cost: number, limit: number) {
    super('COST_LIMIT_EXCEEDED', `The query would cost ${cost}, over the limit of ${limit}: ask for fewer items (first) or fewer large fields`);
    Object.assign(this.extensions, { cost, limit });
  }
}

/**
 * Answers that could hold more than `bytes` are built `bulkhead.limit` at a time. Serializing
 * megabytes runs on the one event loop every other request needs; one large answer at a time
 * (the default) keeps another tenant's small list waiting behind at most one of them.
 */
export interface LargeAnswerLane {
  bytes: number;
  bulkhead: Bulkhead;
}

/**
 * Refuses an operation whose cost is over `limit`, or whose answer could hold more than
 * `maxResponseBytes` (every field counted at its largest, lists multiplied like the cost), after
 * validation and before any resolver runs.
 */
export function queryCostLimit(limit: number, maxResponseBytes = Number.POSITIVE_INFINITY, largeAnswers?: LargeAnswerLane): ApolloServerPlugin {
  return {
    async requestDidStart() {
      let release: (() => void) | undefined;
      return {
        async didResolveOperation({ operation, document, schema, request }) {
          const root = operation && schema.getRootType(operation.operation);
          if (!operation || !root) return;
          const fragments = new Map(
            document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
          );
          const { cost, bytes } = selectionCost({ schema, fragments, variables: request.variables ?? {} }, root, operation.selectionSet, 1, false);
          if (cost > limit) throw new QueryCostLimitError(cost, limit);
          if (bytes > maxResponseBytes) throw new ResponseTooLargeError(bytes, maxResponseBytes);
          if (largeAnswers && bytes > largeAnswers.bytes) release = await largeAnswers.bulkhead.enter();
        },
        async willSendResponse() {
          // After this turn: the answer is serialized and handed to the socket in it.
          if (release) setImmediate(release);
        },
      };
    },
  };
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

interface Estimate {
  cost: number;
  /** The most bytes the answer can hold. */
  bytes: number;
}

function selectionCost(
  walk: Walk,
  parent: GraphQLCompositeType,
  selectionSet: SelectionSetNode,
  multiplier: number,
  measured: boolean,
  seen = new Set<string>(),
): Estimate {
  const total: Estimate = { cost: 0, bytes: 0 };
  const add = (part: Estimate) => {
    total.cost += part.cost;
    total.bytes += part.bytes;
  };
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const field = fieldOf(parent, selection.name.value);
      if (!field) continue; // __typename and introspection: free
      const key = `${parent.name}.${field.name}`;
      add({ cost: (FIELD_WEIGHTS[field.name] ?? 1) * multiplier, bytes: fieldBytes(key, field, measured) * multiplier });
      const type = getNamedType(field.type);
      if (selection.selectionSet && isCompositeType(type)) {
        const below = selectionCost(
          walk,
          type,
          selection.selectionSet,
          multiplier * listSize(walk, field, selection),
          measured || MEASURED_BELOW.has(key),
          seen,
        );
        const cap = SUBTREE_MAX_BYTES[key];
        add({ cost: below.cost, bytes: cap === undefined ? below.bytes : Math.min(below.bytes, cap * multiplier) });
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      add(selectionCost(walk, typeCondition(walk, selection.typeCondition?.name.value) ?? parent, selection.selectionSet, multiplier, measured, seen));
    } else if (!seen.has(selection.name.value)) {
      // Each fragment is counted where it is first spread: validation already refused cycles.
      const fragment = walk.fragments.get(selection.name.value);
      if (!fragment) continue;
      const type = typeCondition(walk, fragment.typeCondition.name.value) ?? parent;
      add(selectionCost(walk, type, fragment.selectionSet, multiplier, measured, new Set(seen).add(selection.name.value)));
    }
  }
  return total;
}

function fieldBytes(key: string, field: GraphQLField<unknown, unknown>, measured: boolean): number {
  const largest = FIELD_MAX_BYTES[key];
  if (largest !== undefined && !measured) return largest;
  const type = getNullableType(field.type);
  return isListType(type) && !isCompositeType(getNamedType(type)) ? SCALAR_LIST_BYTES : SMALL_FIELD_BYTES;
}

function fieldOf(parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

function typeCondition(walk: Walk, name: string | undefined): GraphQLCompositeType | undefined {
  const type = name ? walk.schema.getType(name) : undefined;
  return type && isCompositeType(type) ? type : undefined;
}

/** Lists that answer one item per item of an argument: `_entities` per representation, `catalogUpdates` per installed copy. */
const ONE_ITEM_PER_INPUT: Readonly<Record<string, string>> = { _entities: 'representations', catalogUpdates: 'installed' };

/** How many items a field's answer can hold (1 for an object); a value we cannot read counts as the most. */
function listSize(walk: Walk, field: GraphQLField<unknown, unknown>, node: Parameters<typeof getArgumentValues>[1]): number {
  const takesFirst = field.args.some((arg) => arg.name === 'first');
  if (!takesFirst && !(field.name in ONE_ITEM_PER_INPUT) && !isListType(getNullableType(field.type))) return 1;
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(field, node, walk.variables);
  } catch {
    args = {}; // wrongly typed: execution refuses it; count the largest size meanwhile
    if (takesFirst) return MAX_PAGE_SIZE;
  }
  if (takesFirst) {
    const first = args['first'];
    return typeof first === 'number' && first >= 1 ? Math.min(first, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  }
  const inputs = ONE_ITEM_PER_INPUT[field.name];
  if (inputs !== undefined) {
    const list = args[inputs];
    // Identical inputs are answered from the same rows: each distinct one counts (the size of
    // the answer is still held by the statement's changelog budget and the size backstop).
    return Array.isArray(list) ? Math.max(new Set(list.map((item) => JSON.stringify(item))).size, 1) : 1;
  }
  // Lists inside a connection (`edges`) are already counted by its `first`.
  if (field.name === 'edges') return 1;
  return LIST_SIZE_WITHOUT_FIRST;
}
