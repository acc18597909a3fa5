import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * A flow: the flows subgraph owns it. The catalog only contributes `catalogPackages` to it, so
 * here it is nothing but its key; the router brings `Flow` representations to `_entities`.
 */
@Directive('@key(fields: "id")')
@ObjectType('Flow', { description: 'A flow, owned by the flows subgraph; the catalog adds the packages published from it' })
export class FlowRef {
  @Field(() => ID, { description: 'The flow id, as the flows subgraph knows it' })
  id!: string;
}
