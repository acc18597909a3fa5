import { Directive, Field, ObjectType, type ClassType } from 'type-graphql';

@Directive('@shareable')
@ObjectType('PageInfo', { simpleResolvers: true, description: 'Where a page of a connection ends' })
class PageInfoType {
  @Field({ description: 'Whether another page follows' })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge; pass as `after` for the next page' })
  endCursor!: string | null;
}

/** How one connection names and describes itself: `CatalogPackage` → `CatalogPackageEdge`. */
interface ConnectionNames {
  /** The edge type is `${typeName}Edge`. */
  typeName: string;
  /** Singular, for descriptions: "package", "audit event". */
  item: string;
  /** What the edge's cursor is good for. */
  cursor: string;
}

/**
 * The base of a keyset connection of `Node` (edges with cursors, and page info): subclass it with
 * `@ObjectType('…Connection')`, adding fields such as `totalCount`. Written once for every list.
 */
export function connectionOf<Node extends object>(NodeType: ClassType<Node>, names: ConnectionNames) {
  const article = /^[aeiou]/.test(names.item) ? 'An' : 'A';

  // simpleResolvers: plain fields read the property directly (these are on every list's hot path).
  @ObjectType(`${names.typeName}Edge`, { simpleResolvers: true, description: `${article} ${names.item} in a page, with its cursor` })
  class Edge {
    @Field({ description: names.cursor })
    cursor!: string;

    @Field(() => NodeType, { description: `The ${names.item}` })
    node!: Node;
  }

  // Abstract: only its subclasses are in the schema (type-graphql emits the types that are reached).
  @ObjectType()
  abstract class Connection {
    @Field(() => [Edge], { description: `One edge per ${names.item}` })
    edges!: Edge[];

    @Field(() => PageInfoType, { description: 'Where this page ends' })
    pageInfo!: PageInfoType;
  }
  return Connection;
}
