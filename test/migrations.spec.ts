import { createOrm, migrate, type Orm } from '../src/infra/db/orm';

/** The committed migrations and the entities must describe the same schema. */
describe('migrations', () => {
  let orm: Orm;

  beforeAll(async () => {
    orm = await createOrm({ kind: 'pglite', dataDir: ':memory:' });
    await migrate(orm);
  }, 60_000);

  afterAll(async () => {
    await orm?.close();
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
