import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122042934_initial } from './Migration20261122042934_initial';
import { Migration20261122043738_audit } from './Migration20261122043738_audit';
import { Migration20261122044600_rate_limit_idempotency } from './Migration20261122044600_rate_limit_idempotency';
import { Migration20261122044645_flow_source_index } from './Migration20261122044645_flow_source_index';
import { Migration20261122051500_rate_limit_unlogged } from './Migration20261122051500_rate_limit_unlogged';
import { Migration20261122052117_republish_base } from './Migration20261122052117_republish_base';
import { Migration20261130141500_search } from './Migration20261130141500_search';
import { Migration20261130141500_tenant_usage } from './Migration20261130141500_tenant_usage';
import { Migration20261130160000_rate_limit_counter } from './Migration20261130160000_rate_limit_counter';
import { Migration20261130160000_version_status } from './Migration20261130160000_version_status';
import { Migration20261130170000_tenant_search } from './Migration20261130170000_tenant_search';
import { Migration20261202160000_bounded_search_terms } from './Migration20261202160000_bounded_search_terms';
import { Migration20261202160000_publish_reservation } from './Migration20261202160000_publish_reservation';
import { Migration20261203190000_audit_actions_in_code } from './Migration20261203190000_audit_actions_in_code';
import { Migration20261204020000_version_requirements_provenance } from './Migration20261204020000_version_requirements_provenance';
import { Migration20261204114858_releases } from './Migration20261204114858_releases';
import { Migration20261204213000_publish_policy_change } from './Migration20261204213000_publish_policy_change';
import { Migration20261204213100_channels } from './Migration20261204213100_channels';

/**
 * Migrations are listed here explicitly (no file globbing), so the same list works compiled,
 * under jest and in the production image. `npm run migration:create` writes a new file; add it here.
 */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261122042934_initial', class: Migration20261122042934_initial },
  { name: 'Migration20261122043738_audit', class: Migration20261122043738_audit },
  { name: 'Migration20261122044600_rate_limit_idempotency', class: Migration20261122044600_rate_limit_idempotency },
  { name: 'Migration20261122044645_flow_source_index', class: Migration20261122044645_flow_source_index },
  { name: 'Migration20261122051500_rate_limit_unlogged', class: Migration20261122051500_rate_limit_unlogged },
  { name: 'Migration20261122052117_republish_base', class: Migration20261122052117_republish_base },
  { name: 'Migration20261130141500_search', class: Migration20261130141500_search },
  { name: 'Migration20261130141500_tenant_usage', class: Migration20261130141500_tenant_usage },
  { name: 'Migration20261130160000_rate_limit_counter', class: Migration20261130160000_rate_limit_counter },
  { name: 'Migration20261130160000_version_status', class: Migration20261130160000_version_status },
  { name: 'Migration20261130170000_tenant_search', class: Migration20261130170000_tenant_search },
  { name: 'Migration20261202160000_bounded_search_terms', class: Migration20261202160000_bounded_search_terms },
  { name: 'Migration20261202160000_publish_reservation', class: Migration20261202160000_publish_reservation },
  { name: 'Migration20261203190000_audit_actions_in_code', class: Migration20261203190000_audit_actions_in_code },
  { name: 'Migration20261204020000_version_requirements_provenance', class: Migration20261204020000_version_requirements_provenance },
  { name: 'Migration20261204114858_releases', class: Migration20261204114858_releases },
  { name: 'Migration20261204213000_publish_policy_change', class: Migration20261204213000_publish_policy_change },
  { name: 'Migration20261204213100_channels', class: Migration20261204213100_channels },
];
