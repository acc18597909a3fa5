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
import { CatalogError } from '../common/errors';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../common/pagination';

/**
 * The cost of one operation, counted before it runs (docs/API.md, "Limits"): every field costs
 * its weight once per object it is resolved on, and a list multiplies what is below it by how
 * many items it is expected to hold: `first` (default 20), the number of `_entities`
 * representations, or 5 for a list without `first` (a flow's packages). Fields that carry large payloads
 * weigh more. Five aliased `catalogPackages(first: 100) { … readme versions(first: 100) … }` cost
 * about 150,000; a playground page of 20 packages with their first 5 versions about 600.
 */
export const FIELD_WEIGHTS: Readonly<Record<string, number>> = {
  readme: 10,
  changelog: 10,
  flow: 20,
  diff: 20,
};

/**
 * What a list without `first` is counted as: a flow's packages (`Flow.catalogPackages`). A flow
 * is published into a handful of packages; PACKAGES_PER_FLOW only bounds a runaway one, and a
 * router asking for 100 flows' packages at once must stay within the budget.
 */
const LIST_SIZE_WITHOUT_FIRST = 5;

export class QueryCostLimitError extends CatalogError {
  constructor(cost: number, limit: number) {
    super('COST_LIMIT_EXCEEDED', `The query would cost ${cost}, over the limit of ${limit}: ask for fewer items (first) or fewer large fields`);
    Object.assign(this.extensions, { cost, limit });
  }
}

/** Refuses an operation whose cost is over `limit`, after validation and before any resolver runs. */
export function queryCostLimit(limit: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, request }) {
          const root = operation && schema.getRootType(operation.operation);
          if (!operation || !root) return;
          const fragments = new Map(
            document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
          );
          const cost = selectionCost({ schema, fragments, variables: request.variables ?? {} }, root, operation.selectionSet, 1);
          if (cost > limit) throw new QueryCostLimitError(cost, limit);
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

function selectionCost(walk: Walk, parent: GraphQLCompositeType, selectionSet: SelectionSetNode, multiplier: number, seen = new Set<string>()): number {
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const field = fieldOf(parent, selection.name.value);
      if (!field) continue; // __typename and introspection: free
      cost += (FIELD_WEIGHTS[field.name] ?? 1) * multiplier;
      const type = getNamedType(field.type);
      if (selection.selectionSet && isCompositeType(type)) {
        cost += selectionCost(walk, type, selection.selectionSet, multiplier * listSize(walk, field, selection), seen);
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      cost += selectionCost(walk, typeCondition(walk, selection.typeCondition?.name.value) ?? parent, selection.selectionSet, multiplier, seen);
    } else if (!seen.has(selection.name.value)) {
      // Each fragment is counted where it is first spread: validation already refused cycles.
      const fragment = walk.fragments.get(selection.name.value);
      if (!fragment) continue;
      const type = typeCondition(walk, fragment.typeCondition.name.value) ?? parent;
      cost += selectionCost(walk, type, fragment.selectionSet, multiplier, new Set(seen).add(selection.name.value));
    }
  }
  return cost;
}

function fieldOf(parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

function typeCondition(walk: Walk, name: string | undefined): GraphQLCompositeType | undefined {
  const type = name ? walk.schema.getType(name) : undefined;
  return type && isCompositeType(type) ? type : undefined;
}

/** How many items a field's answer can hold (1 for an object); a value we cannot read counts as the most. */
function listSize(walk: Walk, field: GraphQLField<unknown, unknown>, node: Parameters<typeof getArgumentValues>[1]): number {
  const takesFirst = field.args.some((arg) => arg.name === 'first');
  if (!takesFirst && field.name !== '_entities' && !isListType(getNullableType(field.type))) return 1;
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
  if (field.name === '_entities') {
    const representations = args['representations'];
    return Array.isArray(representations) ? Math.max(representations.length, 1) : 1;
  }
  // Lists inside a connection (`edges`) are already counted by its `first`.
  if (field.name === 'edges') return 1;
  return LIST_SIZE_WITHOUT_FIRST;
}
