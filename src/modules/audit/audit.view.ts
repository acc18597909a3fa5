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

export function toAuditEventView(event: AuditEventRecord): AuditEventView {
  return {
    id: event.id,
    action: event.action,
    version: event.version,
    actorId: event.actorId,
    actorEmail: event.actorEmail,
    actorTenantId: event.actorTenantId,
    changes: event.changes as Record<string, unknown>,
    occurredAt: event.occurredAt,
  };
}
