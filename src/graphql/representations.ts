import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  getNamedType,
  isObjectType,
  isScalarType,
  isUnionType,
  Kind,
  type DefinitionNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { BadUserInputError, type Problem } from '../common/errors';

/**
 * `_entities(representations:)` takes `[_Any!]!`: any JSON at all. @apollo/subgraph throws a plain
 * Error for a representation without a known `__typename`, and one without a usable key (no `id`,
 * or `id: 5` where an ID string is needed) fails later as `Cannot return null for non-nullable
 * field` or a scalar coercion error: masked internal errors, logged as bugs. Such input is the
 * caller's mistake: refuse it as BAD_USER_INPUT, listing each bad representation, before any
 * resolver runs.
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
          const entityTypes = entityKeys(schema);
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
              const fields =
                representation !== null && typeof representation === 'object' && !Array.isArray(representation)
                  ? (representation as Record<string, unknown>)
                  : {};
              const typename = fields['__typename'];
              const keys = typeof typename === 'string' ? entityTypes.get(typename) : undefined;
              if (!keys) {
                problems.push({
                  path: `$.representations[${i}].__typename`,
                  message: `must name an entity type of this subgraph: ${[...entityTypes.keys()].join(', ')}`,
                });
              } else if (!keys.some((key) => key.every(({ name, text }) => (text ? typeof fields[name] === 'string' : fields[name] != null)))) {
                problems.push({ path: `$.representations[${i}]`, message: `must hold a key of ${typename}: ${keys.map(describeKey).join(', or ')}` });
              }
            });
          }
          if (problems.length > 0) throw new BadUserInputError('Invalid entity representations', problems.slice(0, 100));
        },
      };
    },
  };
}

/** One `@key`: its fields, and whether each is an ID or String (then only a string will do). */
type EntityKey = { name: string; text: boolean }[];

/** Each entity type of the subgraph with its `@key`s, read from the schema itself. */
function entityKeys(schema: GraphQLSchema): Map<string, EntityKey[]> {
  const entity = schema.getType('_Entity');
  const types = isUnionType(entity) ? entity.getTypes() : [];
  return new Map(types.map((type) => [type.name, keysOf(type)]));
}

function keysOf(type: GraphQLObjectType): EntityKey[] {
  const directives = [type.astNode, ...type.extensionASTNodes].flatMap((node) => node?.directives ?? []).filter((d) => d.name.value === 'key');
  return directives.flatMap((directive) => {
    const fields = directive.arguments?.find((arg) => arg.name.value === 'fields')?.value;
    // Keys with nested selections (`a { b }`) are not used here; such a key is not checked.
    if (fields?.kind !== Kind.STRING || /[{}]/.test(fields.value)) return [];
    return [
      fields.value
        .split(/[\s,]+/)
        .filter(Boolean)
        .map((name) => {
          const fieldType = isObjectType(type) ? type.getFields()[name]?.type : undefined;
          const named = fieldType ? getNamedType(fieldType) : undefined;
          return { name, text: named !== undefined && isScalarType(named) && (named.name === 'ID' || named.name === 'String') };
        }),
    ];
  });
}

function describeKey(key: EntityKey): string {
  return key.map(({ name, text }) => (text ? `${name} (a string)` : name)).join(' and ');
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
      const fragment = definitions.find((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
      if (fragment) found.push(...rootFieldsNamed(fragment.selectionSet, name, definitions, seen));
    }
  }
  return found;
}
