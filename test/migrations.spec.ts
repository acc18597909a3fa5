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
