import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { UpgradePreview } from '../../modules/package/use-cases/preview-upgrades';
import { MAX_UPGRADE_PREVIEWS } from '../../modules/package/use-cases/preview-upgrades';
import type { GraphQLContext } from '../context';
import { plainInput } from '../plain-input';
import { withErrors } from '../error-docs';
import { CatalogUpgradeInput, CatalogUpgradePreviewType } from './upgrade.types';

const UPGRADE_ERRORS = ['BAD_USER_INPUT', 'NOT_FOUND', 'VERSION_WITHDRAWN', 'FORBIDDEN'] as const;

/** Thin: what upgrading copies would give (docs/API.md, "Upgrading a copy"). */
@Resolver(() => CatalogUpgradePreviewType)
export class CatalogUpgradeResolver {
  @Query(() => CatalogUpgradePreviewType, {
    description: withErrors("Merges upstream's changes into a copy without losing its edits, and lists what conflicts; writes nothing", [...UPGRADE_ERRORS]),
  })
  catalogUpgradePreview(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => CatalogUpgradeInput, { description: 'The copy and where it came from' }) input: CatalogUpgradeInput,
  ): Promise<UpgradePreview> {
    return ctx.catalog.previewUpgrade(ctx.caller, plainInput(input));
  }

  @Query(() => [CatalogUpgradePreviewType], {
    nullable: 'items',
    description: withErrors(`The same for up to ${MAX_UPGRADE_PREVIEWS} copies, in input order; a package the caller may not see answers null`, [
      ...UPGRADE_ERRORS,
    ]),
  })
  catalogUpgradePreviews(
    @Ctx() ctx: GraphQLContext,
    @Arg('inputs', () => [CatalogUpgradeInput], { description: 'The copies' }) inputs: CatalogUpgradeInput[],
  ): Promise<(UpgradePreview | null)[]> {
    return ctx.catalog.previewUpgrades(ctx.caller, plainInput(inputs));
  }
}
