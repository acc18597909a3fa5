import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122042934_initial } from './Migration20261122042934_initial';
import { Migration20261122043738_audit } from './Migration20261122043738_audit';

/**
 * Migrations are listed here explicitly (no file globbing), so the same list works compiled,
 * under jest and in the production image. `npm run migration:create` writes a new file; add it here.
 */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261122042934_initial', class: Migration20261122042934_initial },
  { name: 'Migration20261122043738_audit', class: Migration20261122043738_audit },
];
