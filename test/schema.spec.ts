import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CATALOG_SDL_PATH, describeDrift, ENTRY_POINTS_SDL_PATH, renderSchemaFiles } from '../src/graphql/sdl-file';

/**
 * The committed SDL is what the code produces (`npm run schema` regenerates it), so every schema
 * change shows up in review; `npm run schema -- --check` is the same check for CI.
 */
const ROOT = path.resolve(__dirname, '..');

describe('committed schema', () => {
  let files: Record<string, string>;

  beforeAll(async () => {
    files = await renderSchemaFiles();
  });

  it.each([CATALOG_SDL_PATH, ENTRY_POINTS_SDL_PATH])('%s matches the code', async (file) => {
    const committed = await readFile(path.join(ROOT, file), 'utf8').catch(() => null);
    expect(describeDrift(file, committed, files[file]!)).toBeNull();
  });

  it('reports a committed file that differs from the code, with the first differing line', () => {
    const generated = files[CATALOG_SDL_PATH]!;
    const edited = generated.replace('  packageId: String!\n', '  packageId: String\n');
    expect(edited).not.toBe(generated);
    const line = generated.split('\n').indexOf('  packageId: String!') + 1;
    expect(describeDrift(CATALOG_SDL_PATH, edited, generated)).toBe(
      [
        `${CATALOG_SDL_PATH} is out of date (first difference at line ${line}):`,
        '  committed: "  packageId: String"',
        '  expected:  "  packageId: String!"',
      ].join('\n'),
    );
    expect(describeDrift(CATALOG_SDL_PATH, `${generated}type Extra {\n  id: ID\n}\n`, generated)).toMatch(
      /committed: "type Extra \{"\n {2}expected: {2}\(end of file\)/,
    );
    expect(describeDrift(CATALOG_SDL_PATH, null, generated)).toBe(`${CATALOG_SDL_PATH} is missing`);
    expect(describeDrift(CATALOG_SDL_PATH, generated.replace(/\n/g, '\r\n'), generated)).toBeNull();
  });

  it('declares the federation surface: pinned @link, both keys, the Flow contribution, the User reference', () => {
    const sdl = files[CATALOG_SDL_PATH]!;
    expect(sdl).toContain('extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])');
    expect(sdl).toContain('type CatalogPackage @key(fields: "id") @key(fields: "tenantId packageId") {');
    // Every field carries a one-line description (test/schema-docs.spec.ts) before it.
    expect(sdl).toMatch(/type Flow @key\(fields: "id"\) \{\n( {2}""".*"""\n)? {2}id: ID!\n(.*\n)* {2}catalogPackages: \[CatalogPackage!\]\n\}/); // nullable: the catalog down nulls only this field of a flow
    expect(sdl).toMatch(/type User @key\(fields: "id", resolvable: false\) \{\n( {2}""".*"""\n)? {2}id: ID!\n\}/);
    expect(sdl).toContain('type PageInfo @shareable {');
    expect(files[ENTRY_POINTS_SDL_PATH]).toContain('union _Entity = CatalogPackage | Flow | User');
  });
});
