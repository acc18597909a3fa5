import { createHash } from 'node:crypto';
import AdmZip from 'adm-zip';
import type { FlowGraph } from '../flow/flow-graph';

/**
 * The `.scaipkg` archive: a zip whose bytes depend only on its contents, so the same publish input
 * always gives the same sha256 (docs/API.md "Rules"). Everything that zip tools usually take from the
 * machine is fixed here: entry order, timestamps, permissions, "made by" host, compression.
 */

export const FLOW_ENTRY = 'flow.json';
export const MANIFEST_ENTRY = 'manifest.yaml';
export const PACKAGE_JSON_ENTRY = 'package.json';
export const README_ENTRY = 'README.md';

/** Identifies the archive layout in package.json, for readers of future layouts. */
export const PACKAGE_FORMAT = 'scaipkg/1';

/**
 * 1980-01-01 00:00:00 as an MS-DOS date/time (date in the high 16 bits: day 1, month 1, year 0).
 * Written as a raw value because adm-zip converts a Date through local time, which would make
 * the bytes depend on the machine's time zone.
 */
export const FIXED_DOS_TIME = ((1 << 5) | 1) << 16;
/** "Made by" Unix (3), zip spec 2.0: adm-zip would write 0x0a14 on Windows. */
const MADE_BY_UNIX = 0x0314;
/** A regular file (S_IFREG) with rw-r--r--. */
const FILE_MODE = 0o644;
/** zip method 0. */
const STORED = 0;
/** Refuse to inflate an entry declaring more than this: archives are read back from storage. */
const MAX_ENTRY_BYTES = 16 * 1_048_576;

export interface PackageArchiveInput {
  flow: FlowGraph;
  manifestYaml: string;
  packageJson: Record<string, unknown>;
  readme?: string | null;
}

export interface PackageArchiveContents {
  flow: unknown;
  manifestYaml: string;
  packageJson: unknown;
  readme: string | null;
}

/**
 * Builds the archive: `flow.json`, `manifest.yaml`, `package.json`, then `README.md` when the
 * readme is non-empty. Entries are stored, not deflated: deflate output may change with the zlib
 * build (Node bundles a SIMD-tuned zlib), and the sha256 must not.
 */
export function buildPackageArchive(input: PackageArchiveInput): { bytes: Buffer; sha256: string } {
  const entries: Array<[string, string]> = [
    [FLOW_ENTRY, canonicalJson(input.flow)],
    [MANIFEST_ENTRY, input.manifestYaml],
    [PACKAGE_JSON_ENTRY, canonicalJson(input.packageJson)],
  ];
  if (input.readme) entries.push([README_ENTRY, input.readme]);

  // noSort keeps our order; adm-zip otherwise sorts names with localeCompare (locale-dependent).
  const zip = new AdmZip({ noSort: true });
  for (const [name, text] of entries) {
    const entry = zip.addFile(name, Buffer.from(text, 'utf8'), '', FILE_MODE);
    entry.header.method = STORED;
    entry.header.timeval = FIXED_DOS_TIME;
    entry.header.made = MADE_BY_UNIX;
  }
  const bytes = zip.toBuffer();
  return { bytes, sha256: sha256Hex(bytes) };
}

/** Reads an archive built by `buildPackageArchive`; throws a plain Error when it is not one. */
export function readPackageArchive(bytes: Buffer): PackageArchiveContents {
  let zip: AdmZip;
  try {
    zip = new AdmZip(bytes);
  } catch (error) {
    throw new Error(`Corrupt package archive: ${describe(error)}`);
  }
  const text = (name: string, required: boolean): string | null => {
    let entry: AdmZip.IZipEntry | null;
    try {
      entry = zip.getEntry(name);
      if (!entry) {
        if (required) throw new Error(`${name} is missing`);
        return null;
      }
      if (entry.header.size > MAX_ENTRY_BYTES) throw new Error(`${name} is too large`);
      return entry.getData().toString('utf8');
    } catch (error) {
      throw new Error(`Corrupt package archive: ${describe(error)}`);
    }
  };
  const json = (name: string): unknown => {
    try {
      return JSON.parse(text(name, true)!);
    } catch (error) {
      throw error instanceof SyntaxError ? new Error(`Corrupt package archive: ${name} is not JSON`) : error;
    }
  };
  return {
    flow: json(FLOW_ENTRY),
    manifestYaml: text(MANIFEST_ENTRY, true)!,
    packageJson: json(PACKAGE_JSON_ENTRY),
    readme: text(README_ENTRY, false),
  };
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface PackageJsonMeta {
  packageId: string;
  name: string;
  version: string;
  description?: string | null;
  authorId: string;
  authorEmail?: string | null;
  sourceFlowId?: string | null;
}

/** The archive's `package.json`. No timestamps: they would change the bytes of every rebuild. */
export function packageJsonFor(meta: PackageJsonMeta): Record<string, unknown> {
  return {
    name: meta.packageId,
    displayName: meta.name,
    version: meta.version,
    ...(meta.description ? { description: meta.description } : {}),
    author: { id: meta.authorId, ...(meta.authorEmail ? { email: meta.authorEmail } : {}) },
    scaicore: {
      format: PACKAGE_FORMAT,
      flow: FLOW_ENTRY,
      manifest: MANIFEST_ENTRY,
      ...(meta.sourceFlowId ? { sourceFlowId: meta.sourceFlowId } : {}),
    },
  };
}

/**
 * JSON with object keys sorted (UTF-16 code unit order, locale-free) and a 2-space indent, plus a
 * final newline. Otherwise the same as `JSON.stringify(value, null, 2)`: `toJSON` is honoured,
 * undefined/function/symbol properties are left out (null in arrays), non-finite numbers are
 * null. Throws a TypeError on a cycle or a bigint, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  const out = write(value, '', new Set());
  if (out === undefined) throw new TypeError('Value has no JSON form');
  return `${out}\n`;
}

function write(value: unknown, indent: string, onPath: Set<object>): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') {
    return JSON.stringify(value);
  }
  if (typeof value === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
  if (typeof value !== 'object') return undefined;
  if (onPath.has(value)) throw new TypeError('Converting circular structure to JSON');

  onPath.add(value);
  const inner = `${indent}  `;
  let out: string;
  if (Array.isArray(value)) {
    const items = Array.from(value, (item: unknown) => write(item, inner, onPath) ?? 'null');
    out = items.length === 0 ? '[]' : `[\n${inner}${items.join(`,\n${inner}`)}\n${indent}]`;
  } else {
    const members: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const item = write((value as Record<string, unknown>)[key], inner, onPath);
      if (item !== undefined) members.push(`${JSON.stringify(key)}: ${item}`);
    }
    out = members.length === 0 ? '{}' : `{\n${inner}${members.join(`,\n${inner}`)}\n${indent}}`;
  }
  onPath.delete(value);
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
