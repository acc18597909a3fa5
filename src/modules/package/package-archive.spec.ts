import AdmZip from 'adm-zip';
import fc from 'fast-check';
import { CatalogError } from '../../common/errors';
import { compileFlow } from '../flow/flow-compiler';
import type { FlowGraph } from '../flow/flow-graph';
import { buildPackageArchive, canonicalJson, FIXED_DOS_TIME, packageJsonFor, readPackageArchive, sha256Hex, type PackageArchiveInput } from './package-archive';

const meta = { packageId: 'customer-support', name: 'Customer Support', version: '0.2.0', description: 'Triage' };

function input(overrides: Partial<PackageArchiveInput> = {}): PackageArchiveInput {
  const flow = {
    id: 'flow_1',
    name: 'Support',
    nodes: [
      { id: 'a', type: 'start', position: { x: 1, y: 2 }, data: { label: 'Start', ünïcode: '✓' } },
      { id: 'b', type: 'end' },
    ],
    edges: [{ source: 'a', target: 'b', sourceHandle: null }],
    config: { retries: 2 },
  };
  const compiled = compileFlow(flow, meta);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  return {
    flow: compiled.flow,
    manifestYaml: compiled.manifestYaml,
    packageJson: packageJsonFor({ ...meta, authorId: 'usr_alice', authorEmail: 'alice@acme.example', sourceFlowId: 'flow_1' }),
    readme: '# Customer Support\n\nTriage + KB.\n',
    ...overrides,
  };
}

/** Reads the local file headers straight from the bytes, without a zip library. */
function localHeaders(bytes: Buffer) {
  const headers = [];
  let offset = 0;
  while (bytes.readUInt32LE(offset) === 0x04034b50) {
    const nameLength = bytes.readUInt16LE(offset + 26);
    const extraLength = bytes.readUInt16LE(offset + 28);
    const compressedSize = bytes.readUInt32LE(offset + 18);
    headers.push({
      name: bytes.toString('utf8', offset + 30, offset + 30 + nameLength),
      method: bytes.readUInt16LE(offset + 8),
      dosTime: bytes.readUInt32LE(offset + 10),
      extraLength,
    });
    offset += 30 + nameLength + extraLength + compressedSize;
  }
  return headers;
}

describe('buildPackageArchive', () => {
  it('holds flow.json, manifest.yaml, package.json and README.md, in that order, with fixed metadata', () => {
    const { bytes } = buildPackageArchive(input());
    expect(localHeaders(bytes)).toEqual(
      ['flow.json', 'manifest.yaml', 'package.json', 'README.md'].map((name) => ({ name, method: 0, dosTime: FIXED_DOS_TIME, extraLength: 0 })),
    );
    for (const entry of new AdmZip(bytes).getEntries()) {
      expect(entry.header.timeval).toBe(FIXED_DOS_TIME);
      expect(entry.header.made).toBe(0x0314);
      expect(entry.header.attr >>> 16).toBe(0o100644);
    }
    expect(new AdmZip(bytes).getEntries().map((e) => e.entryName)).toEqual(['flow.json', 'manifest.yaml', 'package.json', 'README.md']);
  });

  it('gives the same bytes and sha256 for the same input, whatever the clock or the time zone', () => {
    const savedTz = process.env.TZ;
    const builds: Array<{ bytes: Buffer; sha256: string }> = [];
    try {
      for (const [now, tz] of [
        ['2024-01-01T00:00:00Z', 'UTC'],
        ['2031-07-15T13:37:42Z', 'Pacific/Kiritimati'],
        ['1999-12-31T23:59:59Z', 'America/St_Johns'],
      ] as const) {
        jest.useFakeTimers({ now: new Date(now) });
        process.env.TZ = tz;
        builds.push(buildPackageArchive(input()));
        jest.useRealTimers();
      }
    } finally {
      jest.useRealTimers();
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    }
    for (const build of builds.slice(1)) {
      expect(build.bytes.equals(builds[0]!.bytes)).toBe(true);
      expect(build.sha256).toBe(builds[0]!.sha256);
    }
    expect(builds[0]!.sha256).toBe(sha256Hex(builds[0]!.bytes));
    expect(builds[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on the key order of the objects it is given', () => {
    const reorder = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reorder)
        : value && typeof value === 'object'
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reorder(v)]),
            )
          : value;
    const base = input();
    const shuffled = { ...base, flow: reorder(base.flow) as FlowGraph, packageJson: reorder(base.packageJson) as Record<string, unknown> };
    expect(buildPackageArchive(shuffled).sha256).toBe(buildPackageArchive(base).sha256);
  });

  it('pins its format: this input has always had this sha256', () => {
    // If this changes, every republish of an unchanged flow would get new bytes: only change it on purpose.
    expect(buildPackageArchive(input()).sha256).toBe('d4ce2786286e06dfa7ddf4bf9407f505b3e30e79faad4efa1faf47a429538061');
  });

  it('leaves README.md out when there is no readme', () => {
    for (const readme of [undefined, null, '']) {
      const { bytes } = buildPackageArchive(input({ readme }));
      expect(localHeaders(bytes).map((h) => h.name)).toEqual(['flow.json', 'manifest.yaml', 'package.json']);
      expect(readPackageArchive(bytes).readme).toBeNull();
    }
  });

  it('gives a different sha256 when anything in the package changes', () => {
    const base = input();
    const shas = [
      base,
      { ...base, readme: `${base.readme}more` },
      { ...base, readme: null },
      { ...base, manifestYaml: `${base.manifestYaml}# x\n` },
      { ...base, packageJson: { ...base.packageJson, version: '0.2.1' } },
      { ...base, flow: { ...base.flow, name: 'Support 2' } },
      { ...base, flow: { ...base.flow, nodes: [...base.flow.nodes].reverse() } },
    ].map((i) => buildPackageArchive(i).sha256);
    expect(new Set(shas).size).toBe(shas.length);
  });
});

describe('readPackageArchive', () => {
  it('reads back what was built', () => {
    const built = input();
    const read = readPackageArchive(buildPackageArchive(built).bytes);
    expect(read).toEqual({ flow: built.flow, manifestYaml: built.manifestYaml, packageJson: built.packageJson, readme: built.readme });
  });

  it('throws a plain Error on anything that is not a package archive', () => {
    const { bytes } = buildPackageArchive(input());
    const flipped = Buffer.from(bytes);
    flipped[40] = flipped[40]! ^ 0xff; // inside flow.json's data: the CRC no longer matches
    const withoutFlow = new AdmZip();
    withoutFlow.addFile('manifest.yaml', Buffer.from('a: 1'));
    withoutFlow.addFile('package.json', Buffer.from('{}'));
    const notJson = new AdmZip();
    notJson.addFile('flow.json', Buffer.from('{nope'));
    notJson.addFile('manifest.yaml', Buffer.from('a: 1'));
    notJson.addFile('package.json', Buffer.from('{}'));

    const corrupt = [
      Buffer.alloc(0),
      Buffer.from('not a zip at all'),
      bytes.subarray(0, bytes.length - 10),
      bytes.subarray(100),
      flipped,
      withoutFlow.toBuffer(),
      notJson.toBuffer(),
    ];
    for (const bad of corrupt) {
      let thrown: unknown;
      try {
        readPackageArchive(bad);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect(thrown).not.toBeInstanceOf(CatalogError);
      expect((thrown as Error).message).toMatch(/^Corrupt package archive: /);
    }
  });
});

describe('packageJsonFor', () => {
  it('describes the package without timestamps, leaving out what is unknown', () => {
    expect(packageJsonFor({ ...meta, description: null, authorId: 'usr_alice', authorEmail: null, sourceFlowId: null })).toEqual({
      name: 'customer-support',
      displayName: 'Customer Support',
      version: '0.2.0',
      author: { id: 'usr_alice' },
      scaicore: { format: 'scaipkg/1', flow: 'flow.json', manifest: 'manifest.yaml' },
    });
    expect(packageJsonFor({ ...meta, authorId: 'u', authorEmail: 'u@x.example', sourceFlowId: 'flow_9' })).toMatchObject({
      description: 'Triage',
      author: { id: 'u', email: 'u@x.example' },
      scaicore: { sourceFlowId: 'flow_9' },
    });
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level, indents by two spaces and ends with a newline', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' }, e: [], f: {} })).toBe(
      '{\n  "a": {\n    "c": "x",\n    "d": [\n      true,\n      null\n    ]\n  },\n  "b": 1,\n  "e": [],\n  "f": {}\n}\n',
    );
  });

  it('treats odd values the way JSON.stringify does', () => {
    expect(canonicalJson({ u: undefined, f: () => 1, n: Number.NaN, d: new Date(0), arr: [undefined, () => 1] })).toBe(
      `${JSON.stringify({ arr: [null, null], d: '1970-01-01T00:00:00.000Z', n: null }, null, 2)}\n`,
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(TypeError);
    expect(() => canonicalJson({ big: BigInt(1) })).toThrow(TypeError);
  });

  it('equals JSON.stringify of a key-sorted copy, for any JSON value', () => {
    const sortKeys = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(sortKeys)
        : value && typeof value === 'object'
          ? Object.fromEntries(
              Object.keys(value)
                .sort()
                .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
            )
          : value;
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const out = canonicalJson(value);
        expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(value)));
        // Integer-like keys are the one place where a rebuilt object would not keep sorted order.
        if (!JSON.stringify(value).match(/"\d+":/)) expect(out).toBe(`${JSON.stringify(sortKeys(value), null, 2)}\n`);
      }),
      { numRuns: 300 },
    );
  });
});

describe('package archive properties', () => {
  const nodeId = fc.string({ minLength: 1, maxLength: 10 });
  const flows = fc.uniqueArray(nodeId, { minLength: 1, maxLength: 12 }).chain((ids) =>
    fc.record({
      id: nodeId,
      name: fc.string(),
      nodes: fc.tuple(...ids.map((id) => fc.record({ id: fc.constant(id), type: fc.constant('step'), data: fc.jsonValue({ maxDepth: 3 }) }))),
      edges: fc.array(fc.record({ source: fc.constantFrom(...ids), target: fc.constantFrom(...ids) }), { maxLength: 20 }),
    }),
  );

  it('builds random flows deterministically and reads them back', () => {
    fc.assert(
      fc.property(flows, fc.option(fc.string({ minLength: 1 }), { nil: null }), (flow, readme) => {
        const compiled = compileFlow(flow, meta);
        fc.pre(compiled.ok); // fast-check may generate "__proto__" keys, which compile refuses
        if (!compiled.ok) return;
        const archiveInput = { flow: compiled.flow, manifestYaml: compiled.manifestYaml, packageJson: packageJsonFor({ ...meta, authorId: 'u' }), readme };
        const first = buildPackageArchive(archiveInput);
        const second = buildPackageArchive(structuredClone(archiveInput));
        expect(second.bytes.equals(first.bytes)).toBe(true);
        expect(second.sha256).toBe(first.sha256);

        const read = readPackageArchive(first.bytes);
        expect(read.flow).toEqual(JSON.parse(JSON.stringify(flow)));
        expect(read.manifestYaml).toBe(compiled.manifestYaml);
        expect(read.readme).toBe(readme);
      }),
      { numRuns: 150 },
    );
  });
});
