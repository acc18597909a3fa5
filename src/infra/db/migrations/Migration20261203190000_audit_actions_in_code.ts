import { Migration } from '@mikro-orm/migrations';

/**
 * The audit actions are the code's list (an expansion: every value the old constraint allowed is
 * still written), so that adding one never needs a migration again.
 */
export class Migration20261203190000_audit_actions_in_code extends Migration {

  override name = 'Migration20261203190000_audit_actions_in_code';

  override up(): void | Promise<void> {
    this.addSql(`alter table "catalog_audit_event" drop constraint if exists "catalog_audit_event_action_check";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "catalog_audit_event" add constraint "catalog_audit_event_action_check" check ("action" in ('publish', 'visibility', 'delete', 'install', 'deprecate', 'withdraw', 'restore'));`);
  }

}
