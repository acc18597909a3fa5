import fc from 'fast-check';
import { Client } from 'pg';
import semver from 'semver';
import { createOrm } from '../../infra/db/orm';
import { defaultVersion, defaultVersionOrderSql, defaultVersionSql, installableVersionSql } from './default-version';
import { packageVersions, strictVersion } from '../../../test/support/version-arbitraries';
import type { VersionStatus } from './version-status';
import { versionSortKey } from './version-sort-key';

/**
 * The rule read literally: the pin while it is installable, else the highest installable (active
 * or deprecated) release that joined stable, else the highest such prerelease.
 */
function oracle(versions: { version: string; status: VersionStatus; inStable?: boolean }[], pin: string | null = null): string | null {
  const installableNow = (v: { status: VersionStatus }) => v.status === 'active' || v.status === 'deprecated';
  if (pin !== null && versions.some((v) => v.version === pin && installableNow(v))) return pin;
  const installable = versions.filter((v) => installableNow(v) && v.inStable !== false).map((v) => v.version);
  const releases = installable.filter((v) => semver.prerelease(v) === null);
  const pool = releases.length > 0 ? releases : installable;
  return pool.length === 0 ? null : pool.sort(semver.rcompare)[0]!;
}

describe('defaultVersion', () => {
  it.each([
    [
      'a release over a newer candidate',
      [
        ['1.4.0', 'active'],
        ['2.0.0-rc.1', 'active'],
      ],
      '1.4.0',
    ],
    [
      'a deprecated release over a candidate',
      [
        ['1.4.0', 'deprecated'],
        ['2.0.0-rc.1', 'active'],
      ],
      '1.4.0',
    ],
    [
      'the best remaining release after a withdrawal',
      [
        ['1.4.0', 'withdrawn'],
        ['1.3.9', 'active'],
        ['2.0.0-rc.1', 'active'],
      ],
      '1.3.9',
    ],
    [
      'the highest candidate when no release is installable',
      [
        ['1.4.0', 'withdrawn'],
        ['2.0.0-rc.1', 'active'],
        ['2.0.0-rc.10', 'active'],
      ],
      '2.0.0-rc.10',
    ],
    ['none when everything is withdrawn', [['1.0.0', 'withdrawn']], null],
    ['none without versions', [], null],
  ] as const)('%s', (_, rows, expected) => {
    expect(defaultVersion(rows.map(([version, status]) => ({ version, status })))).toBe(expected);
  });

  it('is the highest installable release, else the highest installable prerelease, else none', () => {
    fc.assert(
      fc.property(packageVersions, (versions) => {
        expect(defaultVersion(versions)).toBe(oracle(versions));
      }),
      { numRuns: 2000 },
    );
  });
});

/** Versions each joined `stable` or not, and a pin that is one of them (or another version, or none). */
const channelledVersions = packageVersions.chain((versions) =>
  fc.tuple(
    fc.tuple(...versions.map((v) => fc.boolean().map((inStable) => ({ ...v, inStable })))),
    fc.option(fc.oneof(strictVersion, ...(versions.length > 0 ? [fc.constantFrom(...versions.map((v) => v.version))] : []))),
  ),
);

describe('defaultVersion with channels', () => {
  it('never picks a version that did not join stable, unless it is the pin', () => {
    fc.assert(
      fc.property(channelledVersions, ([versions, pin]) => {
        expect(defaultVersion(versions, pin)).toBe(oracle(versions, pin));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a rollback pin while it is installable, and lets go of it when it is not', () => {
    const versions = [
      { version: '1.0.0', status: 'active' as const },
      { version: '2.0.0', status: 'active' as const },
      { version: '3.0.0', status: 'active' as const, inStable: false },
    ];
    expect(defaultVersion(versions)).toBe('2.0.0');
    expect(defaultVersion(versions, '1.0.0')).toBe('1.0.0');
    expect(
      defaultVersion(
        versions.map((v) => (v.version === '1.0.0' ? { ...v, status: 'withdrawn' as const } : v)),
        '1.0.0',
      ),
    ).toBe('2.0.0');
  });
});

describe('SQL fragments', () => {
  it('name the columns of the given alias', () => {
    expect(installableVersionSql('v')).toBe("v.status in ('active', 'deprecated')");
    expect(defaultVersionOrderSql('v')).toBe(`strpos(v.version, '-') = 0 desc, v.version_sort collate "C" desc`);
    expect(defaultVersionSql('p.id')).toContain('where dv.catalog_package_id = p.id and dv.status');
  });

  it('refuse an alias that is not a plain identifier', () => {
    expect(() => installableVersionSql('v; drop table x')).toThrow('Not a plain SQL alias');
  });
});

/**
 * The SQL rule on a real database: PGlite, or the server of TEST_DATABASE_URL. One connection
 * (the table is temporary); values are inlined because versions and keys hold no quotes.
 */
describe('in PostgreSQL', () => {
  let query: (sql: string) => Promise<Record<string, unknown>[]>;
  let close: () => Promise<void>;

  beforeAll(async () => {
    if (process.env.TEST_DATABASE_URL) {
      const client = new Client({ connectionString: process.env.TEST_DATABASE_URL });
      await client.connect();
      query = async (sql) => (await client.query(sql)).rows;
      close = () => client.end();
    } else {
      const orm = await createOrm({ kind: 'pglite', dataDir: ':memory:' });
      query = (sql) => orm.em.getConnection().execute(sql);
      close = () => orm.close();
    }
    await query(
      'create temp table catalog_package_version (catalog_package_id int, version text, status text, version_sort text, in_stable boolean not null default true)',
    );
  });

  afterAll(() => close());

  const insert = (rows: { packageId: number; version: string; status: string; inStable?: boolean }[]) =>
    rows.length === 0
      ? Promise.resolve([])
      : query(
          `insert into catalog_package_version values ${rows.map((r) => `(${r.packageId}, '${r.version}', '${r.status}', '${versionSortKey(r.version)}', ${r.inStable ?? true})`).join(', ')}`,
        );

  it('orders by version_sort collate "C" exactly as semver does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(strictVersion, { maxLength: 40 }), async (versions) => {
        await query('truncate catalog_package_version');
        await insert(versions.map((version) => ({ packageId: 1, version, status: 'active' })));
        const sorted = await query('select version from catalog_package_version order by version_sort collate "C"');
        expect(sorted.map((row) => row['version'])).toEqual([...versions].sort(semver.compare));
      }),
      { numRuns: 150 },
    );
  });

  it('picks the same default version as defaultVersion', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(packageVersions, { minLength: 1, maxLength: 8 }), async (packages) => {
        await query('truncate catalog_package_version');
        await insert(packages.flatMap((versions, packageId) => versions.map((v) => ({ packageId, ...v }))));
        const ids = packages.map((_, packageId) => packageId).join(', ');
        const rows = await query(`select p.id, ${defaultVersionSql('p.id')} as version from unnest(array[${ids}]) as p(id) order by p.id`);
        expect(rows.map((row) => row['version'])).toEqual(packages.map((versions) => defaultVersion(versions)));
      }),
      { numRuns: 150 },
    );
  });

  it('picks the same default version as defaultVersion with channels and a pin', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(channelledVersions, { minLength: 1, maxLength: 8 }), async (packages) => {
        await query('truncate catalog_package_version');
        await insert(packages.flatMap(([versions], packageId) => versions.map((v) => ({ packageId, ...v }))));
        const pins = packages.map(([, pin], packageId) => `(${packageId}, ${pin === null ? 'null' : `'${pin}'`})`).join(', ');
        const rows = await query(`select p.id, ${defaultVersionSql('p.id', 'dv', 'p.pin')} as version from (values ${pins}) as p(id, pin) order by p.id`);
        expect(rows.map((row) => row['version'])).toEqual(packages.map(([versions, pin]) => defaultVersion(versions, pin)));
      }),
      { numRuns: 150 },
    );
  });
});
