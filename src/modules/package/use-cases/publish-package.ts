import { randomUUID } from 'node:crypto';
import type { Caller } from '../../../common/caller';
import { ConflictError, FlowContainsSecretsError } from '../../../common/errors';
import { BlobAlreadyExistsError } from '../../../infra/blob/blob-storage';
import { assertMayPerform } from '../../access/policy';
import { assertCompiles } from '../../flow/flow-compiler';
import { releasingBlobOnQuotaRefusal } from '../../quota/quota';
import type { SecretGuard } from '../../secrets/secret-guard';
import type { CatalogDeps, RequestMeta } from '../catalog';
import { buildPackageArchive, packageJsonFor } from '../package-archive';
import type { PackageRecord } from '../package.model';
import { parseInput, publishInputSchema, type PublishInput } from '../package.validation';
import { toPackageView, type PackageView } from '../package.view';
import { compareVersions, nextAfterConflict, planPublishVersion, republishBaseAfter } from '../versioning';

type PublishOutcome = { kind: 'published'; record: PackageRecord } | { kind: 'lost-race'; latest: string };

export function blobNameFor(tenantId: string, packageId: string, version: string): string {
  return `catalog/${tenantId}/${packageId}/v${version}.scaipkg`;
}

function maxVersion(a: string, b: string): string {
  return compareVersions(a, b) >= 0 ? a : b;
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
  const { db, packages, audit, blobs, flows, logger, tuning, secrets, quotas } = deps;
  const findChecked = () =>
    db.run(async (em) => {
      const row = await packages.findAny(em, caller.tenantId, input.packageId);
      if (row) assertMayPerform(caller, 'package:republish', { pkg: row });
      return row;
    });
  // Rights on an existing package first: a caller who may not republish it learns nothing from
  // the flows service and costs it nothing.
  const checked = await findChecked();
  const content = input.flowId != null ? await flows.fetchFlowForDeploy(input.flowId, authorization) : input.content;

  // A version that lost a race (taken by a concurrent publish, or an orphaned blob) is a floor
  // the next attempt must climb above.
  let floor: string | null = null;
  for (let attempt = 1; attempt <= tuning.publishAttempts; attempt += 1) {
    // Inline content: the row just checked serves the first attempt (nothing slow came between).
    const existing = attempt === 1 && input.flowId == null ? checked : await findChecked();
    // The first attempt applies the rules (auto-bump, VERSION_REGRESSION); after losing a race the
    // publish simply takes the next free version, so concurrent republishes never fail.
    const version: string = floor
      ? nextAfterConflict(maxVersion(floor, existing?.latestVersion ?? floor))
      : planPublishVersion(input.version, existing?.latestVersion ?? null, existing?.republishBase ?? null).version;

    // Compiling before any write: a failure leaves no blob and no row.
    const { flow, manifestYaml } = assertCompiles(content, {
      packageId: input.packageId,
      name: input.name,
      version,
      description: input.description ?? null,
    });
    if (attempt === 1) await assertNoSecrets(secrets, content, input);
    const author = existing ?? { authorId: caller.userId, authorEmail: caller.email };
    const { bytes, sha256 } = buildPackageArchive({
      flow,
      manifestYaml,
      readme: input.readme ?? null,
      packageJson: packageJsonFor({
        packageId: input.packageId,
        name: input.name,
        version,
        description: input.description ?? null,
        authorId: author.authorId,
        authorEmail: author.authorEmail,
        sourceFlowId: input.flowId ?? null,
      }),
    });
    const blobName = blobNameFor(caller.tenantId, input.packageId, version);
    // Quotas: refused before the upload when already full; exactly, in the transaction (reserve).
    await db.run((em) => quotas.precheck(em, { tenantId: caller.tenantId, packageUuid: existing?.id ?? null, bytes: bytes.length }));
    let written: 'created' | 'identical';
    try {
      written = await blobs.uploadIfAbsent(blobName, bytes, sha256);
    } catch (error) {
      if (!(error instanceof BlobAlreadyExistsError)) throw error;
      logger.warn({ blobName, attempt }, 'blob exists with other content; trying the next version');
      floor = version;
      continue;
    }

    const now = new Date();
    const outcome = await releasingBlobOnQuotaRefusal(blobs, blobName, written === 'created', () => db.transaction(async (em): Promise<PublishOutcome> => {
      const { row, created } = await packages.lockOrCreate(em, {
        id: randomUUID(),
        tenantId: caller.tenantId,
        packageId: input.packageId,
        name: input.name,
        description: input.description ?? null,
        readme: input.readme ?? null,
        latestVersion: version,
        republishBase: null,
        authorId: caller.userId,
        authorEmail: caller.email,
        visibility: 'tenant',
        visibilityGroupIds: [],
        sourceFlowId: input.flowId ?? null,
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
      });
      if (!created && compareVersions(version, row.latestVersion) <= 0) return { kind: 'lost-race', latest: row.latestVersion };
      // Created by a concurrent publish since we looked: the same rights check, on its row.
      if (!created && !existing) assertMayPerform(caller, 'package:republish', { pkg: row });
      await quotas.reserve(em, { tenantId: row.tenantId, packageUuid: created ? null : row.id, bytes: bytes.length });
      await packages.insertVersion(em, {
        id: randomUUID(),
        packageUuid: row.id,
        version,
        sha256,
        sizeBytes: bytes.length,
        blobName,
        publisherId: caller.userId,
        publisherEmail: caller.email,
        publishedAt: now,
      });
      const fields = {
        name: input.name,
        description: input.description ?? null,
        readme: input.readme ?? null,
        latestVersion: version,
        republishBase: created ? null : republishBaseAfter(input.version, version, row.latestVersion, row.republishBase),
        sourceFlowId: input.flowId ?? null,
        updatedAt: now,
      };
      await packages.updateAfterPublish(em, row.id, fields);
      await audit.record(em, caller, {
        tenantId: row.tenantId,
        packageUuid: row.id,
        packageId: row.packageId,
        version,
        action: 'publish',
        changes: { version, sha256, sizeBytes: bytes.length, sourceFlowId: input.flowId ?? null, revived: row.deletedAt !== null },
        at: now,
      });
      return { kind: 'published', record: { ...row, ...fields, deletedAt: null } };
    }));
    if (outcome.kind === 'published') {
      logger.info({ tenantId: caller.tenantId, packageId: input.packageId, version, sha256 }, 'package published');
      return outcome.record;
    }
    floor = maxVersion(outcome.latest, version);
  }
  throw new ConflictError('Too many concurrent publishes of this package; try again');
}

/**
 * The secret guard (docs/FLOW-FORMAT.md): credentials in the flow as sent (pointers into it) or in
 * the publish texts refuse the publish before anything is written; findings never hold the value.
 */
async function assertNoSecrets(guard: SecretGuard, content: unknown, input: PublishInput): Promise<void> {
  const findings = await guard.scan({ flow: content, readme: input.readme, description: input.description, name: input.name });
  if (findings.length > 0) throw new FlowContainsSecretsError(findings);
}
