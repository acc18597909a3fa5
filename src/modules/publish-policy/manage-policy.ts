import type { Caller } from '../../common/caller';
import { decodeCursor, pageSize, toConnection, type Connection } from '../../common/pagination';
import type { Database } from '../../infra/db/database';
import { accessFor } from '../access/scope';
import { parsePolicyRules, type PolicyRules } from './policy-rules';
import type { PolicyChangeRecord, PolicyRecord, PublishPolicyRepository } from './publish-policy.repository';

/** What the publish policy's use cases are built from. */
export interface PolicyDeps {
  db: Database;
  publishPolicies: PublishPolicyRepository;
}

/** A tenant's publish policy as its admins read it: every rule, null when not set. */
export interface PublishPolicyView {
  tenantId: string;
  allowedNodeTypes: PolicyRules['allowedNodeTypes'] | null;
  allowedHosts: PolicyRules['allowedHosts'] | null;
  maxNodes: PolicyRules['maxNodes'] | null;
  requireApproval: PolicyRules['requireApproval'] | null;
  explicitPromotion: PolicyRules['explicitPromotion'] | null;
  coolingOffMinutes: PolicyRules['coolingOffMinutes'] | null;
  /** null for a tenant that never set a policy (it has the empty one). */
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** One change of the policy: who, when, and the whole rules before (null: none was set) and after. */
export interface PublishPolicyChangeView {
  id: string;
  actorId: string;
  actorEmail: string | null;
  actorTenantId: string;
  from: PolicyRules | null;
  to: PolicyRules;
  changedAt: Date;
}

/** `catalogPublishPolicy`: the tenant's admins (super admins name the tenant); a tenant without a row has no rules. */
export async function readPublishPolicy(deps: PolicyDeps, caller: Caller, tenantId?: string | null): Promise<PublishPolicyView> {
  const tenant = policyTenant(caller, 'tenant:readPublishPolicy', tenantId);
  const policy = await deps.db.run((em) => deps.publishPolicies.find(em, tenant));
  return toPolicyView(tenant, policy);
}

/**
 * `setCatalogPublishPolicy`: the input replaces the whole policy (a rule left out is removed).
 * Checked completely before anything is written; the change is recorded with what it replaced.
 */
export async function setPublishPolicy(deps: PolicyDeps, caller: Caller, input: unknown, tenantId?: string | null): Promise<PublishPolicyView> {
  const tenant = policyTenant(caller, 'tenant:setPublishPolicy', tenantId);
  const rules = parsePolicyRules(input);
  const { policy } = await deps.db.transaction((em) => deps.publishPolicies.replace(em, caller, tenant, rules, new Date()));
  return toPolicyView(tenant, policy);
}

/** `CatalogPublishPolicy.changes`: the policy's history, newest first, for whoever may read the policy. */
export async function listPublishPolicyChanges(
  deps: PolicyDeps,
  caller: Caller,
  args: { tenantId: string; first?: number | null; after?: string | null },
): Promise<Connection<PublishPolicyChangeView>> {
  const tenant = policyTenant(caller, 'tenant:readPublishPolicy', args.tenantId);
  const limit = pageSize(args.first);
  const after = decodeCursor(args.after);
  const page = await deps.db.run((em) => deps.publishPolicies.listChanges(em, tenant, limit, after));
  return toConnection({ items: page.items.map(toChangeView), hasNextPage: page.hasNextPage }, (change) => ({ key: change.changedAt, id: change.id }));
}

/** The tenant acted in (another one: super admins only), then whether the caller administers it. */
function policyTenant(caller: Caller, action: 'tenant:readPublishPolicy' | 'tenant:setPublishPolicy', tenantId: string | null | undefined): string {
  const access = accessFor(caller);
  const tenant = access.actingTenant(tenantId);
  access.assert(action, { tenantId: tenant });
  return tenant;
}

function toPolicyView(tenantId: string, policy: PolicyRecord | null): PublishPolicyView {
  const rules = policy?.rules ?? {};
  return {
    tenantId,
    allowedNodeTypes: rules.allowedNodeTypes ?? null,
    allowedHosts: rules.allowedHosts ?? null,
    maxNodes: rules.maxNodes ?? null,
    requireApproval: rules.requireApproval ?? null,
    explicitPromotion: rules.explicitPromotion ?? null,
    coolingOffMinutes: rules.coolingOffMinutes ?? null,
    updatedAt: policy?.updatedAt ?? null,
    updatedBy: policy?.updatedBy ?? null,
  };
}

function toChangeView(change: PolicyChangeRecord): PublishPolicyChangeView {
  return {
    id: change.id,
    actorId: change.actorId,
    actorEmail: change.actorEmail,
    actorTenantId: change.actorTenantId,
    from: change.from,
    to: change.to,
    changedAt: change.changedAt,
  };
}
