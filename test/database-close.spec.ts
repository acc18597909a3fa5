import { ServiceUnavailableError } from '../src/common/errors';
import { Database } from '../src/infra/db/database';
import { migratedDatabase } from './support/database';

/**
 * Closing the database while work runs (a stopping service): work already running finishes,
 * later work is refused, and nothing makes MikroORM open a new connection (on PGlite a new
 * instance, created after the test environment is gone).
 */
describe('Database.close()', () => {
  it('lets a running unit of work finish its statements, then refuses every later query', async () => {
    const { orm, database, close } = await migratedDatabase();
    try {
      const db = new Database(orm, database.config.kind === 'pglite', { closeWaitMs: 10_000 });
      let release!: () => void;
      const paused = new Promise<void>((resolve) => (release = resolve));
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const unit = db.run(async (em) => {
        await em.execute('select 1');
        started();
        await paused;
        // The second statement of a unit that started before close().
        return em.execute<{ n: number }[]>('select 2 as n');
      });
      await running;
      const closing = db.close();
      setTimeout(release, 200);
      expect(await unit).toEqual([{ n: 2 }]);
      await closing;

      await expect(db.run((em) => em.execute('select 3'))).rejects.toBeInstanceOf(ServiceUnavailableError);
      // Even past `Database`, the closed ORM builds no new client.
      await expect(orm.em.fork().getConnection().execute('select 4')).rejects.toBeInstanceOf(ServiceUnavailableError);
    } finally {
      await close();
    }
  });
});
