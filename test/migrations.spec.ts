import fc from 'fast-check';
import { SEARCH_VECTOR as MIGRATION_SEARCH_VECTOR } from '../src/infra/db/migrations/Migration20261130141500_search';
import { frozenVersionSortKey } from '../src/infra/db/migrations/Migration20261130160000_version_status';
import { SEARCH_VECTOR } from '../src/modules/package/search-vector';
import { versionSortKey } from '../src/modules/package/version-sort-key';
import { strictVersion } from './support/version-arbitraries';
import type { Orm } from '../src/infra/db/orm';
import { migratedDatabase } from './support/database';

/** The committed migrations and the entities must describe the same schema. */
describe('migrations', () => {
  let orm: Orm;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ orm, close } = await migratedDatabase());
  }, 60_000);

  afterAll(async () => {
    await close?.();
  });

  test('leave nothing for the schema generator to change', async () => {
    const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
  });

  test('are all applied, and applying again does nothing', async () => {
    expect(await orm.migrator.getPending()).toEqual([]);
    await expect(orm.migrator.up()).resolves.toEqual([]);
  });
});

/** Migrations keep frozen copies of the rules they use; while the live rules have not changed, both agree. */
describe('frozen rules in migrations', () => {
  it('the version_status backfill sorts versions as the live sort key does', () => {
    fc.assert(
      fc.property(strictVersion, (version) => frozenVersionSortKey(version) === versionSortKey(version)),
      { numRuns: 500 },
    );
  });

  it("the search migration's tsvector is the entity's", () => {
    expect(MIGRATION_SEARCH_VECTOR).toBe(SEARCH_VECTOR);
  });
});
