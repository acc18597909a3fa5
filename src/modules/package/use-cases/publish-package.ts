import { randomUUID } from 'node:crypto';
import type { Caller } from '../../../common/caller';
import type { Em } from '../../../infra/db/database';
import { BlobAlreadyExistsError } from '../../../infra/blob/blob-storage';
import { accessFor } from '../../access/scope';
import { BadUserInputError, FlowCompileError } from '../../../common/errors';
import { assertCompiles, renderManifest } from '../../flow/flow-compiler';
import type { FlowGraph } from '../../flow/flow-graph';
import { checkParameterUse } from '../../flow/parameters';
import { deriveRequirements } from '../../flow/requirements';
import type { Requirements } from '../../flow/requirements.types';
import { checkPublishPolicy, type PolicyOutcome } from '../../publish-policy/publish-check';
import type { PolicyRules } from '../../publish-policy/policy-rules';
import { assertPublishHoldsNoSecrets } from '../../secrets/publish-refusal';
import type { CatalogDeps, RequestMeta } from '../catalog';
import { buildPackageArchive, packageJsonFor } from '../package-archive';
import type { PackageRecord } from '../package.model';
import type { NewPackage } from '../package.repository';
import { parseInput, publishInputSchema, type PublishInput } from '../package.validation';
import { toPackageView, type PackageView } from '../package.view';
import { assertNotQuarantined } from '../quarantine';
import { moveChannel, STABLE } from '../channels';
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
  const access = accessFor(caller);
  access.assert('package:publish');
  const input = parseInput(publishInputSchema, rawInput);
  assertStagedJoinsNoChannel(input);
  return deps.idempotency.withIdempotency(caller, request.idempotencyKey, input, async () => {
    const { record, policy } = await publishOnce(deps, caller, input, request.authorization);
    // The dry-run violations belong to this answer only (and to its idempotent replays).
    return { ...toPackageView(access, record), policyViolations: policy.dryRunViolations };
  });
}

async function publishOnce(
  deps: CatalogDeps,
  caller: Caller,
  asked: PublishInput,
  authorization: string,
): Promise<{ record: PackageRecord; policy: PolicyOutcome }> {
  const { publishSlots, flows, logger } = deps;
  let input = asked;
  // Rights on an existing package first: a caller who may not republish it learns nothing from
  // the flows service and costs it nothing. The tenant's publish policy is read in the same unit
  // (one primary-key read), and applied once the flow compiles.
  const rules = await publishSlots.run(async (em) => {
    await republishable(deps, em, caller, input.packageId);
    return (await deps.publishPolicies.find(em, caller.tenantId))?.rules ?? {};
  });
  const content = input.flowId != null ? await flows.fetchFlowForDeploy(input.flowId, authorization) : input.content;
  // Everything that can refuse the input runs before the package is reserved or anything written.
  const compiled = assertCompiles(content, manifestMeta(input, input.version));
  const requirements = versionRequirements(compiled.flow, input);
  await assertNoSecrets(deps, caller, content, input);
  // ENFORCE violations refuse here (POLICY_VIOLATION); DRY_RUN ones travel with the publish.
  const policy = withApprovalRule(rules, input, checkPublishPolicy(rules, compiled.flow));
  // Under an enforced requireApproval every publish is staged for review.
  if (rules.requireApproval?.mode === 'enforce') input = { ...input, stage: true };
  assertStagedJoinsNoChannel(input);
  const labels = { tags: input.tags ?? [], nodeTypes: [...new Set(compiled.flow.nodes.map((node) => node.type))].sort() };

  // First short transaction: the package's slot, the version and the quota (nothing a reader sees).
  const { reservation, planned } = await publishSlots.reserve({ tenantId: caller.tenantId, packageId: input.packageId }, (em) =>
    planVersion(deps, em, caller, input, { flow: compiled.flow, requirements }),
  );
  const blobName = blobNameFor(caller.tenantId, input.packageId, reservation.version);
  let record: PackageRecord;
  try {
    // No connection and no lock is held while blob storage is called.
    await publishSlots.hold(reservation, () => writeArchive(deps, blobName, planned.archive, () => publishSlots.assertHeld(reservation)));
    // Second short transaction: the version becomes visible, with its blob already written.
    record = await publishSlots.transaction(async (em) => {
      await publishSlots.confirm(em, reservation);
      const now = new Date();
      const { row, created } = await deps.packages.lockOrCreate(em, { ...newPackageRow(caller, input, now), ...labels });
      if (created !== reservation.newPackage) throw new Error(`package ${input.packageId} changed between its reservation and its commit`);
      const source = { flow: compiled.flow, requirements };
      const step = { row, created, version: reservation.version, archive: planned.archive, blobName, now, labels, source, policy };
      return commitVersion(deps, em, caller, input, step);
    });
  } catch (error) {
    await publishSlots.release(reservation);
    throw error;
  }
  const dryRunViolations = policy.dryRunViolations.length;
  logger.info({ tenantId: caller.tenantId, packageId: input.packageId, version: record.latestVersion, dryRunViolations }, 'package published');
  return { record, policy };
}

/** A staged version joins no channel: it is reviewed first, and set on a channel once approved. */
function assertStagedJoinsNoChannel(input: PublishInput): void {
  if (input.stage === true && input.channel != null && input.channel !== STABLE) {
    throw new BadUserInputError('A staged version joins no channel', [
      { path: '$.channel', message: 'publish for review without a channel (the tenant may require review), then set the channel once approved' },
    ]);
  }
}

/** requireApproval in DRY_RUN: a publish that was not staged is reported as one the rule would have staged. */
function withApprovalRule(rules: PolicyRules, input: PublishInput, outcome: PolicyOutcome): PolicyOutcome {
  if (rules.requireApproval?.mode !== 'dry_run' || input.stage === true) return outcome;
  const violation = { rule: 'requireApproval', path: '', message: 'Under ENFORCE this publish would have been staged for approval' };
  return { ...outcome, dryRunViolations: [...outcome.dryRunViolations, violation] };
}

/**
 * The caller's tenant's package of that id whatever its state (a republish revives a deleted
 * one), or null when it is new; throws unless the caller may republish it (NOT_FOUND when they
 * do not see it, FORBIDDEN when they do).
 */
async function republishable(deps: CatalogDeps, em: Em, caller: Caller, packageId: string): Promise<PackageRecord | null> {
  const access = accessFor(caller);
  const row = await deps.packages.findAny(em, access.rows, caller.tenantId, packageId);
  if (row) {
    access.assert('package:republish', { pkg: row, visible: row.visible });
    assertNotQuarantined(access, row);
  }
  return row;
}

/**
 * In the first transaction, holding the package's slot: the version, planned from the committed
 * history (the outcome of concurrent publishes is the outcome of some serial order of them: a
 * lower version is VERSION_REGRESSION), its archive, and the quota it takes.
 */
async function planVersion(deps: CatalogDeps, em: Em, caller: Caller, input: PublishInput, compiled: CompiledSource) {
  // Only publishes change a package's versions, and they hold the slot: this row stays current
  // for them until the second transaction locks it.
  // Created by a concurrent publish since we looked: the same rights check, on its row.
  const existing = await republishable(deps, em, caller, input.packageId);
  const { version } = planPublishVersion(input.version, existing?.latestVersion ?? null, existing?.republishBase ?? null);
  const manifestYaml = renderManifest(compiled.flow, { ...manifestMeta(input, version), requirements: compiled.requirements });
  const archive = buildPackageArchive({
    flow: compiled.flow,
    manifestYaml,
    readme: input.readme ?? null,
    packageJson: packageJsonFor({
      ...manifestMeta(input, version),
      authorId: existing?.authorId ?? caller.userId,
      authorEmail: existing ? existing.authorEmail : caller.email,
      sourceFlowId: input.flowId ?? null,
    }),
  });
  // Counted exactly, before anything is written (lock order: the reservation, then the tenant's
  // usage row; only publish and the reservation sweep take the latter).
  await deps.quotas.reserve(em, { tenantId: caller.tenantId, packageUuid: existing?.id ?? null, bytes: archive.bytes.length });
  return { version, sizeBytes: archive.bytes.length, newPackage: existing === null, archive };
}

/**
 * Writes the archive, never overwriting a version that exists. Runs while this publish holds the
 * package's reservation, for a version above every committed one: a blob already at that name
 * with other bytes was left by a publish that died between its upload and its commit (no row
 * points at it). It is replaced, on the condition that it is still the blob just read, and only
 * after `assertHeld` (called between that read and the write) has confirmed the reservation is
 * still this publish's: a publish whose reservation was taken over never writes over the blob of
 * the one that took it. So a failed publish never moves later versions.
 */
async function writeArchive(
  { blobs, logger }: CatalogDeps,
  blobName: string,
  archive: { bytes: Buffer; sha256: string },
  assertHeld: () => Promise<void>,
): Promise<void> {
  try {
    await blobs.uploadIfAbsent(blobName, archive.bytes, archive.sha256);
  } catch (error) {
    if (!(error instanceof BlobAlreadyExistsError)) throw error;
    logger.warn({ blobName }, 'reclaiming an orphaned archive (a publish died before its commit)');
    await blobs.replaceOrphan(blobName, archive.bytes, archive.sha256, assertHeld);
  }
}

/** The version row, the package row and the audit event, in the second transaction (the package row locked). */
async function commitVersion(
  deps: CatalogDeps,
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
    source: CompiledSource;
    /** What the tenant's publish policy made of the flow (it let it through). */
    policy: PolicyOutcome;
  },
): Promise<PackageRecord> {
  const { packages, audit } = deps;
  const { row, created, version, archive, blobName, now, labels, source, policy } = step;
  const channel = input.channel ?? STABLE;
  // Quarantined since the reservation was taken: the locked row decides.
  assertNotQuarantined(accessFor(caller), row);
  const provenance = deps.provenance.sign({
    tenantId: row.tenantId,
    packageId: row.packageId,
    version,
    archiveName: archiveFileName(row.packageId, version),
    sha256: archive.sha256,
    publisherId: caller.userId,
    sourceFlow: input.flowId != null ? { id: input.flowId, revision: flowRevision(source.flow) } : null,
    publishedAt: now,
    // Compile and secret guard passed (else no statement); the policy's content rules ran, each
    // in its mode, and none in ENFORCE mode was violated: 'none' when the tenant has no content rule.
    checks: { compile: 'passed', secretGuard: 'passed', publishPolicy: policy.checks },
  });
  const staged = input.stage === true;
  await packages.insertVersion(em, {
    status: staged ? 'staged' : 'active',
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
    requirements: source.requirements,
    provenance,
    // A version published to another channel does not join `stable`: the default never picks it
    // until it is promoted (setCatalogChannel stable).
    inStable: channel === STABLE,
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
  // A staged version changes nothing members read: the package keeps its name, texts and labels
  // until the version is approved (then they become the approved version's), and no channel moves.
  const revision = staged ? await packages.updateAfterStagedPublish(em, row.id, fields) : await packages.updateAfterPublish(em, row.id, fields);
  const moved = { by: caller.userId, at: now };
  // A publish to `stable` ends a pin (a rollback sticks until then); one to another channel moves that channel.
  if (!staged && channel !== STABLE) await moveChannel(packages, em, row, { channel, version, ...moved });
  else if (!staged && row.stablePin !== null) await packages.setStablePin(em, row.id, null);
  // After the package update: it revives a deleted row, and the new version may be the default.
  const defaultVersion = await packages.refreshDefaultVersion(em, row.id, moved);
  await packages.refreshListedVersion(em, row.id);
  await audit.record(em, caller, {
    tenantId: row.tenantId,
    packageUuid: row.id,
    packageId: row.packageId,
    version,
    action: staged ? 'stage' : 'publish',
    changes: {
      version,
      sha256: archive.sha256,
      sizeBytes: archive.bytes.length,
      sourceFlowId: input.flowId ?? null,
      revived: row.deletedAt !== null,
      ...(policy.dryRunViolations.length > 0 ? { policyViolations: policy.dryRunViolations } : {}),
      ...(channel === STABLE ? {} : { channel }),
    },
    at: now,
  });
  if (staged) {
    const kept = { latestVersion: fields.latestVersion, republishBase: fields.republishBase, updatedAt: now };
    // Members still know the highest version they knew (the row read under the lock says which).
    return { ...row, ...kept, defaultVersion, revision, deletedAt: null, listedVersion: row.listedVersion };
  }
  // A version above every other one, released: the highest a member knows of.
  return { ...row, ...fields, defaultVersion, revision, deletedAt: null, listedVersion: version, stablePin: channel === STABLE ? null : row.stablePin };
}

/** The valid flow of a publish and what it needs where it is installed. */
interface CompiledSource {
  flow: FlowGraph;
  requirements: Requirements;
}

/**
 * What the version needs where it is installed (docs/FLOW-FORMAT.md, "Requirements"). A parameter
 * the flow uses but the input does not declare, or one declared and never used, is a compile
 * problem: an install could not fill it in, or would ask for a value nothing reads.
 */
function versionRequirements(flow: FlowGraph, input: PublishInput): Requirements {
  const declared = input.parameters ?? [];
  const problems = checkParameterUse(flow, declared);
  if (problems.length > 0) throw new FlowCompileError(problems);
  return deriveRequirements(flow, declared, input.runtime ?? null);
}

/** The revision of a saved flow, as the flows service numbers it (its `version` field), or null. */
function flowRevision(flow: FlowGraph): string | null {
  return flow.version == null ? null : String(flow.version);
}

/** The archive's file name in its provenance statement: what a download would be called. */
export function archiveFileName(packageId: string, version: string): string {
  return `${packageId}-${version}.scaipkg`;
}

function manifestMeta(input: PublishInput, version: string) {
  return { packageId: input.packageId, name: input.name, version, description: input.description ?? null };
}

/** The row a first publish creates (its fields are set again by `commitVersion`). */
function newPackageRow(caller: Caller, input: PublishInput, now: Date): Omit<NewPackage, 'tags' | 'nodeTypes'> {
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
    parameters: input.parameters,
  });
}
