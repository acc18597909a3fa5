import fc from 'fast-check';
import { maskSqlLiterals } from './sql-literals';

describe('maskSqlLiterals', () => {
  it('keeps the shape of a statement and drops its values', () => {
    const sql = `select "p0".* from "catalog_package" as "p0" where "p0"."tenant_id" = 'acme' and "p0"."author_email" = 'a.o''neil@acme.example' and "p0"."size" > 1024 and x = $1::jsonb limit 21`;
    expect(maskSqlLiterals(sql)).toBe(
      `select "p0".* from "catalog_package" as "p0" where "p0"."tenant_id" = ? and "p0"."author_email" = ? and "p0"."size" > ? and x = $1::jsonb limit ?`,
    );
    expect(maskSqlLiterals(`insert into t (a, b) values (E'line\\n\\'quoted\\'', $$dollar 'quoted' body$$), ($tag$x$tag$, -2.5e3)`)).toBe(
      'insert into t (a, b) values (?, ?), (?, ?)',
    );
    expect(maskSqlLiterals('select t0.id, v1_2 from "table9" t0')).toBe('select t0.id, v1_2 from "table9" t0');
  });

  it('leaves no string value it was given in the text, whatever the value holds', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 3 }).filter((s) => /[A-Za-z]{3}/.test(s)),
        fc.integer({ min: 100_000 }),
        (value, number) => {
          const quoted = `'${value.replace(/'/g, "''")}'`;
          const masked = maskSqlLiterals(`update "catalog_package" set "name" = ${quoted}, "size" = ${number} where "id" = ${quoted}`);
          expect(masked).toBe('update "catalog_package" set "name" = ?, "size" = ? where "id" = ?');
        },
      ),
    );
  });
});
