import fc from 'fast-check';
import type { Em } from './database';
import { createOrm, type Orm } from './orm';
import { execute, sql, type SqlFragment, type SqlPart, type SqlValue } from './sql';

/** Strings that mean something to MikroORM's formatting or to PostgreSQL's quoting, and any text. */
const awkwardText = fc
  .oneof(
    fc.string({ unit: fc.constantFrom('?', '??', '\\?', "'", '\\', '"', '$1', ',', '{', '}', ' ', 'NULL', 'é', '😀', 'a') }),
    fc.string({ unit: 'grapheme' }),
  )
  .filter((text) => !text.includes('\u0000'));

const value: fc.Arbitrary<SqlValue> = fc.oneof(awkwardText, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));

/** Trusted SQL text: anything but a `?`, backslashes included. */
const rawText = fc.string({ unit: fc.constantFrom('a', ' ', ',', '(', ')', '\\', "'", ':') });

type Tree = { value: SqlValue } | { raw: string } | { children: Tree[] };

const tree = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small' },
    value.map((v) => ({ value: v })),
    rawText.map((raw) => ({ raw })),
    fc.array(tie('tree'), { maxLength: 5 }).map((children) => ({ children })),
  ),
})).tree;

/** The tree as SQL: children side by side (no separator, so values touch) inside a nested template. */
function build(node: Tree): SqlPart {
  if ('value' in node) return node.value;
  if ('raw' in node) return sql.raw(node.raw);
  return sql`(${sql.join(node.children.map(build), '')})`;
}

function valuesOf(node: Tree): SqlValue[] {
  if ('value' in node) return [node.value];
  if ('raw' in node) return [];
  return node.children.flatMap(valuesOf);
}

const placeholders = (fragment: SqlFragment) => fragment.sql.split('?').length - 1;

describe('sql', () => {
  it('turns a value into a ? and its parameter', () => {
    expect(sql`select ${1} where a = ${'x'} and b is ${null}`).toEqual({ sql: 'select ? where a = ? and b is ?', params: [1, 'x', null] });
  });

  it('inlines a fragment with its parameters, in order', () => {
    const visible = sql`p.tenant_id = ${'t1'}`;
    expect(sql`select ${'a'} from p where ${visible} limit ${10}`).toEqual({ sql: 'select ? from p where p.tenant_id = ? limit ?', params: ['a', 't1', 10] });
  });

  it('takes trusted text as it is, joins parts, and has an empty fragment', () => {
    expect(sql`select ${sql.raw('p.id, p.name')} from p`).toEqual({ sql: 'select p.id, p.name from p', params: [] });
    expect(sql.join([sql`a = ${1}`, sql`b = ${2}`, 3], ' and ')).toEqual({ sql: 'a = ? and b = ? and ?', params: [1, 2, 3] });
    expect(sql.join([], ' and ')).toEqual({ sql: '', params: [] });
    expect(sql`where true ${sql.empty}`).toEqual({ sql: 'where true ', params: [] });
  });

  it('carries arrays as PostgreSQL array literals', () => {
    expect(sql`p.tags @> ${sql.textArray(['a"b', 'c\\d'])}`).toEqual({ sql: 'p.tags @> ?::text[]', params: ['{"a\\"b","c\\\\d"}'] });
    expect(sql.uuidArray(['00000000-0000-0000-0000-000000000001'])).toEqual({ sql: '?::uuid[]', params: ['{"00000000-0000-0000-0000-000000000001"}'] });
    expect(sql.intArray([1, 2])).toEqual({ sql: '?::int[]', params: ['{"1","2"}'] });
  });

  it('refuses an array or anything else that is not one value', () => {
    // @ts-expect-error: MikroORM would expand an array into `?, ?`
    expect(() => sql`select ${['a', 'b']}`).toThrow('An array is not a SQL value');
    // @ts-expect-error: undefined would be formatted as the word `undefined`
    expect(() => sql`select ${undefined}`).toThrow('Not a SQL value: undefined');
    // @ts-expect-error: an object is not a value
    expect(() => sql`select ${{ id: 1 }}`).toThrow('Not a SQL value: object');
  });

  it('refuses a ? in SQL text, where MikroORM would take it for a parameter', () => {
    expect(() => sql`select 'why?'`).toThrow('SQL text may not hold a "?"');
    expect(() => sql`select data ? ${'key'}`).toThrow('SQL text may not hold a "?"');
    expect(() => sql.raw('a ?? b')).toThrow('SQL text may not hold a "?"');
    expect(() => sql.join([1, 2], ' ? ')).toThrow('SQL text may not hold a "?"');
    expect(sql`select ${'why?'}`).toEqual({ sql: 'select ?', params: ['why?'] });
  });

  it('refuses a fragment built by hand whose ? do not match its parameters', () => {
    expect(() => sql`where ${{ sql: 'a = ? and b = ?', params: [1] }}`).toThrow('one "?" per parameter');
    expect(() => sql`where ${{ sql: 'a = ??', params: [1, 2] }}`).toThrow('no "??"');
    expect(() => sql`where ${{ sql: 'a = \\?', params: [1] }}`).toThrow('no "??"');
    expect(sql`where ${{ sql: 'a = ?', params: [1] }}`).toEqual({ sql: 'where a = ?', params: [1] });
  });

  it('keeps a parameter from touching a ? or a \\ before it', () => {
    expect(sql`select ${1}${2}`.sql).toBe('select ? ?');
    expect(sql`select ${sql.raw('a\\')}${1}`.sql).toBe('select a\\ ?');
    expect(sql.join([1, sql`${2}`], '').sql).toBe('? ?');
  });

  it('gives frozen fragments: a shared one cannot be added to', () => {
    expect(Object.isFrozen(sql.empty) && Object.isFrozen(sql.empty.params)).toBe(true);
    expect(() => sql.empty.params.push(1)).toThrow(TypeError);
  });

  it('for any values and nesting, has one ? per parameter and the parameters in the order of their ?', () => {
    fc.assert(
      fc.property(tree, (node) => {
        const built = sql`select ${build(node)}`;
        expect(built.params).toEqual(valuesOf(node));
        expect(placeholders(built)).toBe(built.params.length);
        expect(built.sql).not.toMatch(/\?\?|\\\?/);
      }),
      { numRuns: 1000 },
    );
  });
});

/** A real database: PGlite, or the server of TEST_DATABASE_URL. Statements only select literals. */
describe('sql in PostgreSQL', () => {
  let orm: Orm;

  beforeAll(async () => {
    const url = process.env.TEST_DATABASE_URL;
    orm = await createOrm(url ? { kind: 'postgres', url } : { kind: 'pglite', dataDir: ':memory:' });
  });

  afterAll(() => orm.close());

  // The app's Database hands out its forks as this type too.
  const em = () => orm.em.fork() as Em;

  it("is read by MikroORM's formatting as built: each ? is the next parameter", () => {
    const platform = orm.em.getPlatform();
    fc.assert(
      fc.property(tree, (node) => {
        const built = sql`select ${build(node)}`;
        const expected = built.sql
          .split('?')
          .map((text, i) => (i === 0 ? text : `${platform.quoteValue(built.params[i - 1])}${text}`))
          .join('');
        expect(platform.formatQuery(built.sql, built.params)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('runs a nested statement and gets every value back in its column', async () => {
    const nested = fc.record({ text: fc.option(awkwardText, { nil: null }), depth: fc.nat({ max: 3 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(nested, { minLength: 1, maxLength: 8 }), async (columns) => {
        const wrap = (part: SqlPart, depth: number): SqlPart => (depth === 0 ? part : sql`(${wrap(part, depth - 1)})`);
        const list = sql.join(
          columns.map((column, i) => sql`${wrap(column.text, column.depth)}::text as ${sql.raw(`c${i}`)}`),
          ', ',
        );
        const [row] = await execute<Record<string, unknown>[]>(em(), sql`select ${list}`);
        expect(columns.map((_, i) => row![`c${i}`])).toEqual(columns.map((column) => column.text));
      }),
      { numRuns: 50 },
    );
  });

  it('gets a text array back element for element', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(awkwardText, { maxLength: 6 }), async (values) => {
        const [row] = await execute<{ values: string[] }[]>(em(), sql`select ${sql.textArray(values)} as values`);
        expect(row!.values).toEqual(values);
      }),
      { numRuns: 100 },
    );
  });

  it('casts uuid and int arrays', async () => {
    const id = '6f1c2a1e-2b4d-4c8e-9f00-0123456789ab';
    const [row] = await execute<{ found: boolean; total: number }[]>(
      em(),
      sql`select ${id}::uuid = any(${sql.uuidArray([id])}) as found, (select sum(n)::int from unnest(${sql.intArray([1, -2, 40])}) n) as total`,
    );
    expect(row).toEqual({ found: true, total: 39 });
  });
});
