import { ArgsType, Field, ID } from 'type-graphql';

/** One version of a package: what restore needs. */
@ArgsType()
export class VersionRefArgs {
  @Field({ description: 'The package slug' })
  packageId!: string;

  @Field({ description: 'The version, exactly as published' })
  version!: string;

  @Field(() => ID, { nullable: true, description: 'Another tenant: super admins only' })
  tenantId?: string | null;
}

/** Deprecate and withdraw: the version, and why. */
@ArgsType()
export class VersionStatusChangeArgs extends VersionRefArgs {
  @Field({ description: 'Why, for those who install it: 1 to 500 characters' })
  reason!: string;
}
