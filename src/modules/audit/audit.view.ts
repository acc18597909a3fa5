import type { AuditAction } from './audit-event';
import type { AuditEventRecord } from './audit.repository';

/**
 * An audit event as its readers (the package's author and admins, whom the policy lets read the
 * trail) see it: what use cases return. The package's tenant and slug are the trail's own.
 */
export interface AuditEventView {
  id: string;
  action: AuditAction;
  version: string | null;
  actorId: string;
  actorEmail: string | null;
  actorTenantId: string;
  changes: Record<string, unknown>;
  occurredAt: Date;
}

/** Why a package was quarantined is for admins: the trail of its author shows the event without it. */
const QUARANTINE_ACTIONS: readonly AuditAction[] = ['quarantine', 'release'];

export function toAuditEventView(event: AuditEventRecord, may: { quarantineReasons: boolean }): AuditEventView {
  const changes = event.changes as Record<string, unknown>;
  return {
    id: event.id,
    action: event.action,
    version: event.version,
    actorId: event.actorId,
    actorEmail: event.actorEmail,
    actorTenantId: event.actorTenantId,
    changes: QUARANTINE_ACTIONS.includes(event.action) && !may.quarantineReasons ? { ...changes, reason: null } : changes,
    occurredAt: event.occurredAt,
  };
}
