import { Arg, Ctx, Field, ID, InputType, Int, Mutation, Resolver } from 'type-graphql';
import type { PackageView } from '../../modules/package/package.view';
import type { GraphQLContext } from '../context';
import { withErrors } from '../error-docs';
import { plainInput } from '../plain-input';
import { CatalogPackageType } from './package.types';

@InputType('CatalogPackageMetadataInput', { description: 'What to change: each field given is set, each left out stays; at least one' })
export class CatalogPackageMetadataInput {
  @Field(() => String, { nullable: true, description: 'Display name (1 to 200 characters)' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'Short description; null clears it' })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'Markdown readme (at most 256 KiB); null clears it' })
  readme?: string | null;

  @Field(() => [String], { nullable: true, description: 'Lowercase slugs (at most 20): they replace the current tags' })
  tags?: string[];
}

/** Thin: a metadata edit without a new version (docs/API.md, "Editing metadata"). */
@Resolver(() => CatalogPackageType)
export class CatalogMetadataResolver {
  @Mutation(() => CatalogPackageType, {
    description: withErrors(
      "Changes a package's name, description, readme or tags without publishing a version; with expectedRevision, only if the package is still at that revision. Author, tenant admins, super admins",
      ['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN', 'REVISION_MISMATCH', 'PACKAGE_QUARANTINED', 'FLOW_CONTAINS_SECRETS'],
    ),
  })
  updateCatalogPackageMetadata(
    @Ctx() ctx: GraphQLContext,
    @Arg('packageId', () => String, { description: 'The package slug' }) packageId: string,
    @Arg('input', () => CatalogPackageMetadataInput, { description: 'The new values' }) input: CatalogPackageMetadataInput,
    @Arg('expectedRevision', () => Int, {
      nullable: true,
      description: 'The revision the edit is based on (CatalogPackage.revision); REVISION_MISMATCH when it moved',
    })
    expectedRevision?: number,
    @Arg('tenantId', () => ID, { nullable: true, description: 'Another tenant: super admins only' }) tenantId?: string,
  ): Promise<PackageView> {
    return ctx.catalog.editMetadata(ctx.caller, packageId, { metadata: plainInput(input), expectedRevision, tenantId });
  }
}
