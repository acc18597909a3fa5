import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  isUnionType,
  Kind,
  type DefinitionNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { BadUserInputError, type Problem } from '../common/errors';

/**
 * `_entities(representations:)` takes `[_Any!]!`: any JSON at all. @apollo/subgraph throws a plain
 * Error for a representation without a known `__typename`, which would surface as a masked
 * internal error. Such input is the caller's mistake: refuse it as BAD_USER_INPUT, listing each
 * bad representation, before any resolver runs.
 */
export function entityRepresentationsGuard(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, request }) {
          if (!operation || operation.operation !== 'query') return;
          const fields = rootFieldsNamed(operation.selectionSet, '_entities', document.definitions);
          if (fields.length === 0) return;
          const fieldDef = schema.getQueryType()?.getFields()['_entities'];
          if (!fieldDef) return;
          const entityTypes = entityTypeNames(schema);
          const problems: Problem[] = [];
          for (const field of fields) {
            let representations: unknown;
            try {
              ({ representations } = getArgumentValues(fieldDef, field, request.variables ?? {}));
            } catch {
              continue; // not even the right shape: execution reports it as a variable error
            }
            if (representations == null) continue;
            // Variables are not coerced yet: a single value stands for a list of one, as in execution.
            (Array.isArray(representations) ? representations : [representations]).forEach((representation: unknown, i) => {
              const typename = representation !== null && typeof representation === 'object' ? (representation as Record<string, unknown>)['__typename'] : undefined;
              if (typeof typename !== 'string' || !entityTypes.has(typename)) {
                problems.push({ path: `$.representations[${i}].__typename`, message: `must name an entity type of this subgraph: ${[...entityTypes].join(', ')}` });
              }
            });
          }
          if (problems.length > 0) throw new BadUserInputError('Invalid entity representations', problems.slice(0, 100));
        },
      };
    },
  };
}

function entityTypeNames(schema: GraphQLSchema): Set<string> {
  const entity = schema.getType('_Entity');
  return new Set(isUnionType(entity) ? entity.getTypes().map((type) => type.name) : []);
}

/** Root fields with this name, looking through inline fragments and fragment spreads. */
function rootFieldsNamed(selectionSet: SelectionSetNode, name: string, definitions: readonly DefinitionNode[], seen = new Set<string>()): FieldNode[] {
  const found: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === name) found.push(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      found.push(...rootFieldsNamed(selection.selectionSet, name, definitions, seen));
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = definitions.find(
        (d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
      );
      if (fragment) found.push(...rootFieldsNamed(fragment.selectionSet, name, definitions, seen));
    }
  }
  return found;
}
