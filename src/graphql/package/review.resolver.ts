import { Args, ArgsType, Ctx, Field, Mutation, Resolver } from 'type-graphql';
import type { ErrorCode } from '../../common/errors';
import type { VersionView } from '../../modules/package/package.view';
import type { GraphQLContext } from '../context';
import { withErrors } from '../error-docs';
import { CatalogPackageVersionType } from './package.types';
import { VersionRefArgs, VersionStatusChangeArgs } from './version-status.args';

const REVIEW_ERRORS: ErrorCode[] = ['BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN', 'ILLEGAL_STATE', 'PACKAGE_QUARANTINED'];
const REVIEWERS = 'Tenant admins and holders of scaicore:approve in the tenant, never the publisher of the version';

@ArgsType()
class ApproveVersionArgs extends VersionRefArgs {
  @Field(() => String, {
    nullable: true,
    description: 'The channel it joins: none or stable by the default-version rule (stable pins it there); another channel points there only',
  })
  channel?: string | null;
}

/** Thin: the review of staged versions (docs/API.md, "Staged publishing"). */
@Resolver(() => CatalogPackageVersionType)
export class CatalogReviewResolver {
  @Mutation(() => CatalogPackageVersionType, {
    description: withErrors(`Approves a staged version: it becomes ACTIVE and installable. ${REVIEWERS}`, REVIEW_ERRORS),
  })
  approveCatalogPackageVersion(@Ctx() ctx: GraphQLContext, @Args(() => ApproveVersionArgs) args: ApproveVersionArgs): Promise<VersionView> {
    return ctx.catalog.approveVersion(ctx.caller, args.packageId, args);
  }

  @Mutation(() => CatalogPackageVersionType, {
    description: withErrors(`Rejects a staged version: REJECTED, kept for the record, never installable. ${REVIEWERS}`, REVIEW_ERRORS),
  })
  rejectCatalogPackageVersion(@Ctx() ctx: GraphQLContext, @Args(() => VersionStatusChangeArgs) args: VersionStatusChangeArgs): Promise<VersionView> {
    return ctx.catalog.rejectVersion(ctx.caller, args.packageId, args);
  }
}
