import { z } from 'zod';
import { VISIBILITIES } from '../package/package.entity';
import { METADATA_FIELDS } from '../package/package.validation';
import { VERSION_STATUSES } from '../package/version-status';

const visibilitySetting = z.strictObject({ visibility: z.enum(VISIBILITIES), visibilityGroupIds: z.array(z.string()) });

const statusChange = z.strictObject({
  from: z.enum(VERSION_STATUSES),
  to: z.enum(VERSION_STATUSES),
  reason: z.string().nullable(),
  defaultVersion: z.strictObject({ from: z.string().nullable(), to: z.string().nullable() }),
  /** A withdrawal only, and only when some: the channels (but `stable`) that pointed at the version and were removed. */
  channelsRemoved: z.array(z.string()).optional(),
});

const nothing = z.strictObject({});

const publishRecord = z.strictObject({
  version: z.string(),
  sha256: z.string(),
  sizeBytes: z.number().int(),
  sourceFlowId: z.string().nullable(),
  revived: z.boolean(),
  /** The publish policy's DRY_RUN violations the publish was let through with; absent when none. */
  policyViolations: z.array(z.strictObject({ rule: z.string(), path: z.string(), message: z.string() })).optional(),
  /** Only for a publish to a channel other than `stable`: that channel (the default version did not move). */
  channel: z.string().optional(),
});

/**
 * Every audited action and the shape of what its event records in `changes`. The action list, its
 * type, the GraphQL enum and the column's accepted values all come from here: a new action is a
 * new entry, never a migration (the column is plain text, checked here rather than by the
 * database, so that instances of the previous release keep writing while a new one rolls out).
 */
export const AUDIT_CHANGES = {
  publish: publishRecord,
  /** A publish for review: the version is staged (the same record as a publish). */
  stage: publishRecord,
  /** A staged version approved: it is active, and the default version moved or not. */
  approve: z.strictObject({
    defaultVersion: z.strictObject({ from: z.string().nullable(), to: z.string().nullable() }),
    /** The channel it was approved onto, when one was named. */
    channel: z.string().optional(),
  }),
  reject: z.strictObject({ reason: z.string() }),
  visibility: z.strictObject({ from: visibilitySetting, to: visibilitySetting }),
  delete: nothing,
  install: nothing,
  deprecate: statusChange,
  withdraw: statusChange,
  restore: statusChange,
  /** An edit of the metadata without a new version: which fields it set (their values are the package's). */
  metadata: z.strictObject({ fields: z.array(z.enum(METADATA_FIELDS)) }),
  /** `reason` is read by admins only (`package:readQuarantineReason`); others see it null. */
  quarantine: z.strictObject({ reason: z.string().nullable() }),
  /** What the package had been quarantined for (admins only, as above). */
  release: z.strictObject({ reason: z.string().nullable() }),
  // Snake case: the GraphQL enum shows each key upper-cased (CHANNEL_SET, CHANNEL_REMOVED).
  /** A channel was pointed at a version (`from` null when it was created, or `stable` had nothing). */
  channel_set: z.strictObject({ channel: z.string(), from: z.string().nullable(), to: z.string() }),
  /** A channel other than `stable` was removed by hand; `version` is where it pointed. */
  channel_removed: z.strictObject({ channel: z.string(), version: z.string() }),
};

export type AuditAction = keyof typeof AUDIT_CHANGES;

export const AUDIT_ACTIONS = Object.keys(AUDIT_CHANGES) as [AuditAction, ...AuditAction[]];

/** One audited change: its action and, typed by the action, what it records. */
export type AuditChange = { [A in AuditAction]: { action: A; changes: z.infer<(typeof AUDIT_CHANGES)[A]> } }[AuditAction];

/** The recorded `changes`, checked against the action's shape before anything is written. */
export function auditChanges(change: AuditChange): Record<string, unknown> {
  return AUDIT_CHANGES[change.action].parse(change.changes);
}
