import { registerEnumType } from 'type-graphql';

/** `{ TENANT: 'tenant', … }`: the GraphQL names of a list of domain values. */
type EnumObject<V extends string> = { readonly [K in V as Uppercase<K>]: K };

/**
 * The GraphQL enum of one of the domain's value lists (`VISIBILITIES`, `VERSION_STATUSES`, …): its
 * names are the values upper-cased and its values the domain's own, so resolvers pass them through
 * unchanged. Every value must be described: a value added to the list does not compile until it is,
 * and cannot reach the schema by another spelling.
 */
export function enumType<const V extends string>(name: string, values: readonly V[], description: string, descriptions: Record<V, string>): EnumObject<V> {
  const byName = Object.fromEntries(values.map((value) => [value.toUpperCase(), value])) as EnumObject<V>;
  const valuesConfig = Object.fromEntries(values.map((value) => [value.toUpperCase(), { description: descriptions[value] }]));
  registerEnumType(byName, { name, description, valuesConfig: valuesConfig as Parameters<typeof registerEnumType<EnumObject<V>>>[1]['valuesConfig'] });
  return byName;
}
