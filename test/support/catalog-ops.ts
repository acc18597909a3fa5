import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  OpsAuditEventsDocument,
  OpsChannelsDocument,
  OpsRemoveChannelDocument,
  OpsSetChannelDocument,
  OpsDeleteDocument,
  OpsQuarantineDocument,
  OpsApproveVersionDocument,
  OpsRejectVersionDocument,
  OpsEditMetadataDocument,
  OpsReleaseDocument,
  OpsDeprecateVersionDocument,
  OpsDiffDocument,
  OpsEntitiesDocument,
  OpsGetDocument,
  OpsInstallCheckDocument,
  OpsInstallDocument,
  OpsUpgradePreviewDocument,
  OpsUpgradePreviewsDocument,
  OpsListPageDocument,
  OpsPublishDocument,
  OpsRestoreVersionDocument,
  OpsSetVisibilityDocument,
  OpsUpdatesDocument,
  OpsUsageDocument,
  OpsVersionsDocument,
  OpsWithdrawVersionDocument,
  type CatalogEnvironmentInput,
  type CatalogPackageMetadataInput,
  type CatalogInstalledInput,
  type CatalogUpgradeInput,
  type CatalogPackageFilter,
  type OpsAuditEventsQuery,
  type OpsDiffQuery,
  type OpsInstallMutation,
  type OpsUpdatesQuery,
  type OpsUsageQuery,
  type PackageViewFragment,
  type VersionStatusViewFragment,
} from '../generated/graphql';
import { flowContent } from './flows';
import type { GqlResponse } from './graphql-client';
import type { TestApp } from './test-app';

/**
 * The catalog's operations for tests that drive the real app over HTTP, on the typed documents of
 * test/operations/catalog-ops.graphql. Every helper returns an `Outcome`: the data, or the error
 * code of the (single) GraphQL error.
 */
export type Outcome<T> = { ok: true; data: T } | { ok: false; code: string; message: string };

export type PackageView = PackageViewFragment;
export type InstallView = OpsInstallMutation['installCatalogPackage'];
export type AuditEventView = OpsAuditEventsQuery['catalogAuditEvents']['edges'][number]['node'];
export type VersionStatusView = VersionStatusViewFragment;
export type UpdateView = OpsUpdatesQuery['catalogUpdates'][number];
export type DiffView = OpsDiffQuery['catalogPackageDiff'];
export type UsageView = OpsUsageQuery['catalogUsage'];
export type StatusAction = 'deprecate' | 'withdraw' | 'restore';

export interface PublishArgs {
  packageId: string;
  version: string;
  name?: string;
  content?: unknown;
  /** Publish for review (STAGED). */
  stage?: boolean;
  /** The release channel to publish to; absent: `stable`, as always. */
  channel?: string;
}

/** A federation key of a `CatalogPackage`: its `id`, or its natural key. */
export type EntityKey = string | { tenantId: string; packageId: string };

function outcome<TData, K extends keyof TData>(response: GqlResponse<TData>, field: K): Outcome<TData[K]> {
  const error = response.body.errors?.[0];
  if (error) return { ok: false, code: String(error.extensions?.code ?? 'UNKNOWN'), message: error.message };
  return { ok: true, data: response.body.data![field] };
}

export function catalogOps(t: TestApp) {
  const call = async <TData, TVariables, K extends keyof TData>(
    token: string,
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    field: K,
  ) => outcome(await t.request(document, variables, token), field);

  return {
    publish: (token: string, args: PublishArgs) =>
      call(
        token,
        OpsPublishDocument,
        {
          input: {
            packageId: args.packageId,
            name: args.name ?? args.packageId,
            version: args.version,
            content: args.content ?? flowContent(),
            ...(args.stage ? { stage: true } : {}),
            ...(args.channel !== undefined ? { channel: args.channel } : {}),
          },
        },
        'publishCatalogPackage',
      ),

    listPage: (token: string, first?: number, after?: string | null, filter?: CatalogPackageFilter) =>
      call(token, OpsListPageDocument, { first, after, filter }, 'catalogPackages'),

    get: (token: string, packageId: string, tenantId?: string) => call(token, OpsGetDocument, { packageId, tenantId }, 'catalogPackage'),

    /** A page of a package's versions; `data` is null where the package is not visible. */
    versions: async (token: string, packageId: string, options: { tenantId?: string; first?: number; after?: string | null } = {}) => {
      const result = await call(token, OpsVersionsDocument, { packageId, ...options }, 'catalogPackage');
      return result.ok ? { ok: true as const, data: result.data?.versions ?? null } : result;
    },

    /** With `parameters` (even `{}`), the install with values: the same rules, and the values stamped in. */
    install: (
      token: string,
      packageId: string,
      options: { version?: string; channel?: string; tenantId?: string; parameters?: Record<string, unknown> } = {},
    ) => call(token, OpsInstallDocument, { packageId, ...options }, 'installCatalogPackage'),

    installCheck: (token: string, packageId: string, environment: CatalogEnvironmentInput, options: { version?: string; tenantId?: string } = {}) =>
      call(token, OpsInstallCheckDocument, { packageId, environment, ...options }, 'catalogInstallCheck'),

    setVisibility: (token: string, packageId: string, visibility: 'TENANT' | 'GROUPS', groupIds?: string[] | null, tenantId?: string) =>
      call(token, OpsSetVisibilityDocument, { packageId, visibility, groups: groupIds, tenantId }, 'setCatalogPackageVisibility'),

    delete: (token: string, packageId: string, tenantId?: string) => call(token, OpsDeleteDocument, { packageId, tenantId }, 'deleteCatalogPackage'),

    quarantine: (token: string, packageId: string, reason: string, tenantId?: string) =>
      call(token, OpsQuarantineDocument, { packageId, reason, tenantId }, 'quarantineCatalogPackage'),

    editMetadata: (token: string, packageId: string, input: CatalogPackageMetadataInput, options: { expectedRevision?: number; tenantId?: string } = {}) =>
      call(token, OpsEditMetadataDocument, { packageId, input, ...options }, 'updateCatalogPackageMetadata'),

    /** Approve (no reason is sent) or reject (with a reason) a staged version. */
    review: (token: string, action: 'approve' | 'reject', args: { packageId: string; version: string; reason: string; tenantId?: string }) =>
      action === 'approve'
        ? call(token, OpsApproveVersionDocument, { packageId: args.packageId, version: args.version, tenantId: args.tenantId }, 'approveCatalogPackageVersion')
        : call(token, OpsRejectVersionDocument, args, 'rejectCatalogPackageVersion'),

    release: (token: string, packageId: string, tenantId?: string) => call(token, OpsReleaseDocument, { packageId, tenantId }, 'releaseCatalogPackage'),

    /** Points a release channel at a version (`stable`: the default install). */
    setChannel: (token: string, packageId: string, channel: string, version: string, tenantId?: string) =>
      call(token, OpsSetChannelDocument, { packageId, channel, version, tenantId }, 'setCatalogChannel'),

    removeChannel: (token: string, packageId: string, channel: string, tenantId?: string) =>
      call(token, OpsRemoveChannelDocument, { packageId, channel, tenantId }, 'removeCatalogChannel'),

    /** The package with its revision and channels; `data` is null where it is not visible. */
    channels: (token: string, packageId: string, tenantId?: string) => call(token, OpsChannelsDocument, { packageId, tenantId }, 'catalogPackage'),

    auditEvents: (token: string, packageId: string, tenantId?: string) => call(token, OpsAuditEventsDocument, { packageId, tenantId }, 'catalogAuditEvents'),

    /** Deprecate or withdraw (with a reason), or restore (the reason is not sent) one version. */
    changeVersionStatus: (token: string, action: StatusAction, args: { packageId: string; version: string; reason: string; tenantId?: string }) =>
      action === 'deprecate'
        ? call(token, OpsDeprecateVersionDocument, args, 'deprecateCatalogPackageVersion')
        : action === 'withdraw'
          ? call(token, OpsWithdrawVersionDocument, args, 'withdrawCatalogPackageVersion')
          : call(
              token,
              OpsRestoreVersionDocument,
              { packageId: args.packageId, version: args.version, tenantId: args.tenantId },
              'restoreCatalogPackageVersion',
            ),

    upgradePreview: (token: string, input: CatalogUpgradeInput) => call(token, OpsUpgradePreviewDocument, { input }, 'catalogUpgradePreview'),

    upgradePreviews: (token: string, inputs: CatalogUpgradeInput[]) => call(token, OpsUpgradePreviewsDocument, { inputs }, 'catalogUpgradePreviews'),

    updates: (token: string, installed: CatalogInstalledInput[]) => call(token, OpsUpdatesDocument, { installed }, 'catalogUpdates'),

    diff: (token: string, packageId: string, from: string, to: string, tenantId?: string) =>
      call(token, OpsDiffDocument, { packageId, from, to, tenantId }, 'catalogPackageDiff'),

    usage: (token: string, tenantId?: string) => call(token, OpsUsageDocument, { tenantId }, 'catalogUsage'),

    /**
     * Federation `_entities` by either key (`id`, or `tenantId packageId`): one entry per
     * representation, null where the package does not resolve.
     */
    entities: async (token: string, refs: readonly EntityKey[]): Promise<Outcome<(PackageView | null)[]>> =>
      (await call(
        token,
        OpsEntitiesDocument,
        { representations: refs.map((ref) => ({ __typename: 'CatalogPackage', ...(typeof ref === 'string' ? { id: ref } : ref) })) },
        '_entities',
      )) as Outcome<(PackageView | null)[]>,

    /** Every page of the list (with a filter: of the search), in order; fails on the first error, and on a cursor that does not move on. */
    async listAll(token: string, pageSize = 20, filter?: CatalogPackageFilter, maxPages = 1_000): Promise<Outcome<PackageView[]>> {
      const all: PackageView[] = [];
      let after: string | null = null;
      for (let pages = 1; pages <= maxPages; pages += 1) {
        const page = await this.listPage(token, pageSize, after, filter);
        if (!page.ok) return page;
        all.push(...page.data.edges.map((edge) => edge.node));
        if (!page.data.pageInfo.hasNextPage) return { ok: true, data: all };
        if (!page.data.pageInfo.endCursor || page.data.pageInfo.endCursor === after) {
          return { ok: false, code: 'PAGINATION_STUCK', message: `page ${pages} ends at the cursor it started from` };
        }
        after = page.data.pageInfo.endCursor;
      }
      return { ok: false, code: 'PAGINATION_STUCK', message: `more than ${maxPages} pages` };
    },
  };
}

export type CatalogOps = ReturnType<typeof catalogOps>;

/** Rows in catalog_audit_event. */
export async function auditEventCount(t: TestApp): Promise<number> {
  const rows = await t.app.orm.em.fork().getConnection().execute<{ count: string | number }[]>('select count(*) as count from catalog_audit_event');
  return Number(rows[0]!.count);
}
