import { getArgumentValues, isObjectType, Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { BadUserInputError } from '../../common/errors';
import { DEFAULT_NEWER_VERSIONS, MAX_NEWER_VERSIONS, type UpdateSelection } from '../../modules/package/use-cases/check-updates';

/**
 * What a `catalogUpdates` selection asks of the update check, so that the statement reads no more:
 * the largest `newerVersions(first:)` among its aliases (0 when none is selected) and whether any
 * of them selects `changelog`. Fragments and inline fragments are looked through.
 */
export function updateSelectionOf(info: GraphQLResolveInfo): UpdateSelection {
  const updateType = info.schema.getType('CatalogUpdate');
  const newerVersionsField = isObjectType(updateType) ? updateType.getFields()['newerVersions'] : undefined;
  const selection: UpdateSelection = { newerVersions: 0, changelogs: false };
  for (const node of info.fieldNodes) {
    for (const field of fieldsOf(info, node.selectionSet)) {
      if (field.name.value !== 'newerVersions' || !newerVersionsField) continue;
      const first = (getArgumentValues(newerVersionsField, field, info.variableValues)['first'] as number | null) ?? DEFAULT_NEWER_VERSIONS;
      // pageSize's rule with this field's bounds: refused before any SQL.
      if (!Number.isInteger(first) || first < 1 || first > MAX_NEWER_VERSIONS) {
        throw new BadUserInputError(`first must be between 1 and ${MAX_NEWER_VERSIONS}`, [
          { path: '$.newerVersions.first', message: `must be an integer between 1 and ${MAX_NEWER_VERSIONS}` },
        ]);
      }
      selection.newerVersions = Math.max(selection.newerVersions, first);
      if (fieldsOf(info, field.selectionSet).some((inner) => inner.name.value === 'changelog')) selection.changelogs = true;
    }
  }
  return selection;
}

function fieldsOf(info: GraphQLResolveInfo, selectionSet: SelectionSetNode | undefined, seen = new Set<string>()): FieldNode[] {
  if (!selectionSet) return [];
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection];
    if (selection.kind === Kind.INLINE_FRAGMENT) return fieldsOf(info, selection.selectionSet, seen);
    if (seen.has(selection.name.value)) return [];
    seen.add(selection.name.value);
    return fieldsOf(info, info.fragments[selection.name.value]?.selectionSet, seen);
  });
}
