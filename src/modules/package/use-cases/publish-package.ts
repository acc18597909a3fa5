import { randomUUID } from 'node:crypto';
import type { Caller } from '../../../common/caller';
import type { Em } from '../../../infra/db/database';
import { BlobAlreadyExistsError } from '../../../infra/blob/blob-storage';
import { assertMayPerform } from '../../access/policy';
import { assertCompiles, renderManifest } from '../../flow/flow-compiler';
import { assertPublishHoldsNoSecrets } from '../../secrets/publish-refusal';
import type { CatalogDeps, RequestMeta } from '../catalog';
import { buildPackageArchive, packageJsonFor } from '../package-archive';
import type { PackageRecord } from '../package.model';
import { parseInput, publishInputSchema, type PublishInput } from '../package.validation';
import { toPackageView, type PackageView } from '../package.view';
import { versionSortKey } from '../version-sort-key';
import { planPublishVersion, republishBaseAfter } from '../versioning';

export function blobNameFor(tenantId: string, packageId: string, version: string): string {
  return `catalog/${tenantId}/${packageId}/v${version}.scaipkg`;
}

/**
 * Publishes a flow as a new version of a package (docs/ARCHITECTURE.md, "The publish sequence").
 * With an Idempotency-Key, a retry of the same parsed input gets the first result, whichever edge
 * it came through.
 */
export async function publishPackage(deps: CatalogDeps, caller: Caller, rawInput: unknown, request: RequestMeta): Promise<PackageView> {
  assertMayPerform(caller, 'package:publish');
  const input = parseInput(publishInputSchema, rawInput);
  return deps.idempotency.withIdempotency(caller, request.idempotencyKey, input, async () =>
    toPackageView(caller, await publishOnce(deps, caller, input, request.authorization)),
  );
}

async function publishOnce(deps: CatalogDeps, caller: Caller, input: PublishInput, authorization: string): Promise<PackageRecord> {
  const { db, packages, flows, logger } = deps;
  // Rights on an existing package first: a caller who may not republish it learns nothing from
  // the flows service and costs it nothing.
  await db.run(async (em) => {
    const row = await packages.findAny(em, caller.tenantId, input.packageId);
    if (row) assertMayPerform(caller, 'package:republish', { pkg: row });
  });
  const content = input.flowId != null ? await flows.fetchFlowForDeploy(input.flowId, authorization) : input.content;
  // Everything that can refuse the input runs before the package is locked or anything written.
  const compiled = assertCompiles(content, manifestMeta(input, input.version));
  await assertNoSecrets(deps, caller, content, input);
  const labels = { tags: input.tags ?? [], nodeTypes: [...new Set(compiled.flow.nodes.map((node) => node.type))].sort() };

  const record = await db.transaction(async (em) => {
    const now = new Date();
    const { row, created } = await packages.lockOrCreate(em, { ...newPackageRow(caller, input, now), ...labels });
    // Created by a concurrent publish since we looked: the same rights check, on its row.
    if (!created) assertMayPerform(caller, 'package:republish', { pkg: row });
    // Planned under the row lock from the committed history: the outcome of concurrent publishes
    // is the outcome of some serial order of them (a lower version is VERSION_REGRESSION).
    const latest = created ? null : row.latestVersion;
    const { version } = planPublishVersion(input.version, latest, created ? null : row.republishBase);
    const manifestYaml = version === input.version ? compiled.manifestYaml : renderManifest(compiled.flow, manifestMeta(input, version));
    const archive = buildPackageArchive({
      flow: compiled.flow,
      manifestYaml,
      readme: input.readme ?? null,
      packageJson: packageJsonFor({
        ...manifestMeta(input, version),
        authorId: row.authorId,
        authorEmail: row.authorEmail,
        sourceFlowId: input.flowId ?? null,
      }),
    });
    // Quotas are counted exactly under the lock, before anything is written (lock order: the
    // package row, then the tenant's usage row; only publish takes the latter).
    await deps.quotas.reserve(em, { tenantId: row.tenantId, packageUuid: created ? null : row.id, bytes: archive.bytes.length });
    const blobName = blobNameFor(caller.tenantId, input.packageId, version);
    await writeArchive(deps, blobName, archive);
    return commitVersion(deps, em, caller, input, { row, created, version, archive, blobName, now, labels });
  });
  logger.info({ tenantId: caller.tenantId, packageId: input.packageId, version: record.latestVersion }, 'package published');
  return record;
}

/**
 * Writes the archive, never overwriting a version that exists. Called under the package row lock,
 * for a version above every committed one: a blob already at that name with other bytes was left
 * by a publish that died between its upload and its commit (no row points at it, and no live
 * publisher can be writing it, since they all upload under this lock). It is replaced, on the
 * condition that it is still the blob just read, so the failed publish never moves later versions.
 */
async function writeArchive({ blobs, logger }: CatalogDeps, blobName: string, archive: { bytes: Buffer; sha256: string }): Promise<void> {
  try {
    await blobs.uploadIfAbsent(blobName, archive.bytes, archive.sha256);
  } catch (error) {
    if (!(error instanceof BlobAlreadyExistsError)) throw error;
    logger.warn({ blobName }, 'reclaiming an orphaned archive (a publish died before its commit)');
    await blobs.replaceOrphan(blobName, archive.bytes, archive.sha256);
  }
}

/** The version row, the package row and the audit event, in the transaction that holds the lock. */
async function commitVersion(
  { packages, audit }: CatalogDeps,
  em: Em,
  caller: Caller,
  input: PublishInput,
  step: {
    row: PackageRecord;
    created: boolean;
    version: string;
    archive: { bytes: Buffer; sha256: string };
    blobName: string;
    now: Date;
    /** Tags as published, node types as the flow uses them: kept per version and on the package. */
    labels: { tags: string[]; nodeTypes: string[] };
  },
): Promise<PackageRecord> {
  const { row, created, version, archive, blobName, now, labels } = step;
  await packages.insertVersion(em, {
    changelog: input.changelog ?? null,
    versionSort: versionSortKey(version),
    id: randomUUID(),
    packageUuid: row.id,
    version,
    sha256: archive.sha256,
    sizeBytes: archive.bytes.length,
    blobName,
    publisherId: caller.userId,
    publisherEmail: caller.email,
    publishedAt: now,
    ...labels,
  });
  const fields = {
    name: input.name,
    description: input.description ?? null,
    readme: input.readme ?? null,
    latestVersion: version,
    republishBase: created ? null : republishBaseAfter(input.version, version, row.latestVersion, row.republishBase),
    sourceFlowId: input.flowId ?? null,
    ...labels,
    updatedAt: now,
  };
  await packages.updateAfterPublish(em, row.id, fields);
  // After the package update: it revives a deleted row, and the new version may be the default.
  const defaultVersion = await packages.refreshDefaultVersion(em, row.id);
  await audit.record(em, caller, {
    tenantId: row.tenantId,
    packageUuid: row.id,
    packageId: row.packageId,
    version,
    action: 'publish',
    changes: {
      version,
      sha256: archive.sha256,
      sizeBytes: archive.bytes.length,
      sourceFlowId: input.flowId ?? null,
      revived: row.deletedAt !== null,
    },
    at: now,
  });
  return { ...row, ...fields, defaultVersion, deletedAt: null };
}

function manifestMeta(input: PublishInput, version: string) {
  return { packageId: input.packageId, name: input.name, version, description: input.description ?? null };
}

/** The row a first publish creates (its fields are set again by `commitVersion`). */
function newPackageRow(caller: Caller, input: PublishInput, now: Date): Omit<PackageRecord, 'tags' | 'nodeTypes'> {
  return {
    id: randomUUID(),
    tenantId: caller.tenantId,
    packageId: input.packageId,
    name: input.name,
    description: input.description ?? null,
    readme: input.readme ?? null,
    latestVersion: input.version,
    defaultVersion: null,
    republishBase: null,
    authorId: caller.userId,
    authorEmail: caller.email,
    visibility: 'tenant',
    visibilityGroupIds: [],
    sourceFlowId: input.flowId ?? null,
    installCount: 0,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  };
}

/**
 * The secret guard (docs/FLOW-FORMAT.md): credentials in the flow as sent (pointers into it), the
 * package id, the tags or the publish texts refuse the publish before anything is written;
 * findings and the log line never hold the value.
 */
async function assertNoSecrets(deps: CatalogDeps, caller: Caller, content: unknown, input: PublishInput): Promise<void> {
  await assertPublishHoldsNoSecrets(deps.secrets, deps.logger, caller.tenantId, {
    flow: content,
    packageId: input.packageId,
    tags: input.tags,
    readme: input.readme,
    description: input.description,
    changelog: input.changelog,
    name: input.name,
  });
}
