import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType, isUnionType, type GraphQLArgument, type GraphQLNamedType } from 'graphql';
import { HTTP_STATUS_BY_CODE } from '../src/common/errors';
import { buildCatalogSdl } from '../src/graphql/schema';

/** Every type, field, argument and enum value of the subgraph is described, and operations name their error codes. */
describe('schema documentation', () => {
  let types: GraphQLNamedType[];
  let missing: string[];

  beforeAll(async () => {
    const { typeGraphqlSchema } = await buildCatalogSdl();
    // Our own types: introspection (`__*`) and federation's (`_Any`, `link__*`, …) are not ours to describe.
    types = Object.values(typeGraphqlSchema.getTypeMap()).filter((type) => !type.name.startsWith('_') && !type.name.includes('__'));
    missing = types.flatMap(undescribed);
  });

  test('covers every type, field, argument and enum value', () => {
    expect(types.length).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });

  test('lists the error codes each operation can raise, all of them known', async () => {
    const { typeGraphqlSchema } = await buildCatalogSdl();
    const operations = [typeGraphqlSchema.getQueryType(), typeGraphqlSchema.getMutationType()].flatMap((root) => Object.values(root?.getFields() ?? {}));
    expect(operations.length).toBeGreaterThan(5);
    for (const operation of operations) {
      const listed = /Errors: (.+?)\./.exec(operation.description ?? '')?.[1];
      expect({ operation: operation.name, listed: listed !== undefined }).toEqual({ operation: operation.name, listed: true });
      const codes = listed!.split(/,\s*/).map((code) => code.replace(/`/g, ''));
      expect(codes.filter((code) => !(code in HTTP_STATUS_BY_CODE))).toEqual([]);
    }
  });
});

/** `Type`, `Type.field`, `Type.field(arg)`, `Enum.VALUE` for everything without a description. */
function undescribed(type: GraphQLNamedType): string[] {
  const gaps = type.description?.trim() ? [] : [type.name];
  if (isScalarType(type) || isUnionType(type)) return gaps;
  if (isEnumType(type))
    return [
      ...gaps,
      ...type
        .getValues()
        .filter((value) => !value.description?.trim())
        .map((value) => `${type.name}.${value.name}`),
    ];
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
    for (const field of Object.values(type.getFields())) {
      if (!field.description?.trim()) gaps.push(`${type.name}.${field.name}`);
      const args: readonly GraphQLArgument[] = 'args' in field ? field.args : [];
      gaps.push(...args.filter((arg) => !arg.description?.trim()).map((arg) => `${type.name}.${field.name}(${arg.name})`));
    }
  }
  return gaps;
}
