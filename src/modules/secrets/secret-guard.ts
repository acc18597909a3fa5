import { embeddedTexts } from './embedded-texts';
import { firstFlowRule, firstFormatRule } from './flow-rules';
import { collectStrings, type StringAt } from './json-strings';
import { redactKeyPaths } from './key-paths';
import { scanWithSecretlint } from './secretlint-scanner';

/** Where a credential was found and which rule recognised it; never the value itself. */
export interface SecretFinding {
  /** JSON pointer into the flow (`/nodes/3/config/headers/Authorization`), or `/packageId`,
   * `/tags/1`, `/readme`, `/description`, `/changelog`, `/name` for the publish request's own
   * texts. An object key that is a credential is named by its position (`/accounts/#key0`). */
  path: string;
  rule: string;
}

export interface SecretScanInput {
  flow: unknown;
  packageId?: string | null;
  tags?: readonly string[] | null;
  readme?: string | null;
  description?: string | null;
  changelog?: string | null;
  name?: string | null;
  /** The parameter declarations: their defaults and descriptions are shared with the package too. */
  parameters?: unknown;
}

/** Shorter strings are not scanned: no supported key format and no password we refuse is shorter. */
const MIN_SCANNED_LENGTH = 8;

// Base64 payloads (images, files) are out of scope; skipping them saves most of a big flow's scan.
const BASE64_DATA_URI = /^data:[\w.+/-]{0,100}(?:;[\w.=-]{0,100})*;base64,/;

const MIN_JOINED_LENGTH = 20;

const PUBLISH_TEXTS = ['packageId', 'readme', 'description', 'changelog', 'name'] as const;

function mayHoldSecret({ text }: { text: string }): boolean {
  return text.length >= MIN_SCANNED_LENGTH && !BASE64_DATA_URI.test(text);
}

/** One text to scan, on behalf of the string at `source` (a finding is reported there). */
interface ScanUnit {
  source: number;
  text: string;
  key?: string | undefined;
  /** Only secretlint's formats (a decoded base64 run); flow rules look at key names too. */
  knownFormatsOnly: boolean;
  /** A string joined with its next sibling: a hit counts only if neither half has it alone. */
  joinedWith?: string;
}

function publishStrings(input: SecretScanInput): StringAt[] {
  const texts = PUBLISH_TEXTS.flatMap((field): StringAt[] => {
    const text = input[field];
    return typeof text === 'string' ? [{ pointer: `/${field}`, text }] : [];
  });
  const tags = (input.tags ?? []).map((text, index): StringAt => ({ pointer: `/tags/${index}`, text }));
  return [...texts, ...tags];
}

function scanUnits(strings: readonly StringAt[]): ScanUnit[] {
  const units: ScanUnit[] = [];
  strings.forEach(({ text, key, next }, source) => {
    if (mayHoldSecret({ text })) {
      units.push({ source, text, key, knownFormatsOnly: false });
      for (const inner of embeddedTexts(text)) units.push({ source, text: inner.text, key: inner.key, knownFormatsOnly: inner.rules === 'known-formats' });
    }
    // Two halves written side by side, each without spaces, that make a token together (no
    // format secretlint knows is shorter than 20 characters; ids and names joined rarely reach it).
    if (next && text.length + next.text.length >= MIN_JOINED_LENGTH && !/\s/.test(text + next.text) && mayHoldSecret({ text: text + next.text })) {
      units.push({ source, text: text + next.text, knownFormatsOnly: true, joinedWith: next.pointer });
    }
  });
  return units;
}

/**
 * Refuses what should not be shared: scans every string of a flow (values and keys, at any
 * depth), the publish request's package id, tags and texts, and what those strings hold
 * (embedded-texts.ts) for credentials. secretlint's recommended rules find the well-known key
 * and token formats; the flow rules add what flows carry (see flow-rules.ts). A string is
 * reported under secretlint's rules when any of them fires, else under the first flow rule.
 */
export class SecretGuard {
  async scan(input: SecretScanInput): Promise<SecretFinding[]> {
    const strings = [...collectStrings(input.flow), ...publishStrings(input), ...collectStrings(input.parameters ?? null, '/parameters')];
    const units = scanUnits(strings);
    const secretlintRules = new Map<number, Set<string>>();
    const hitsByUnit = new Map<number, Set<string>>();
    for (const hit of await scanWithSecretlint(units.map((unit) => unit.text))) {
      hitsByUnit.set(hit.index, (hitsByUnit.get(hit.index) ?? new Set()).add(hit.rule));
    }
    const pointerIndex = new Map(strings.map(({ pointer }, index) => [pointer, index]));
    // Whole strings first, so that a joined pair can see what its halves hold alone.
    const order = units.map((_, index) => index).sort((a, b) => Number(units[a]!.joinedWith !== undefined) - Number(units[b]!.joinedWith !== undefined));
    for (const index of order) {
      const unit = units[index]!;
      for (const rule of hitsByUnit.get(index) ?? []) {
        const second = unit.joinedWith === undefined ? undefined : pointerIndex.get(unit.joinedWith);
        if (second !== undefined && [unit.source, second].some((half) => secretlintRules.get(half)?.has(rule))) continue;
        secretlintRules.set(unit.source, (secretlintRules.get(unit.source) ?? new Set()).add(rule));
      }
    }
    const flowRules = new Map<number, string>();
    for (const unit of units) {
      if (unit.joinedWith !== undefined || secretlintRules.has(unit.source) || flowRules.has(unit.source)) continue;
      const rule = unit.knownFormatsOnly ? firstFormatRule(unit.text) : firstFlowRule(unit.text, unit.key);
      if (rule) flowRules.set(unit.source, rule);
    }
    const findings: SecretFinding[] = [];
    strings.forEach(({ pointer }, index) => {
      for (const rule of secretlintRules.get(index) ?? (flowRules.has(index) ? [flowRules.get(index)!] : [])) findings.push({ path: pointer, rule });
    });
    const keysFound = strings.filter((s, index) => s.keyIndex !== undefined && (secretlintRules.has(index) || flowRules.has(index)));
    return redactKeyPaths(findings, keysFound).sort((a, b) => compare(a.path, b.path) || compare(a.rule, b.rule));
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A guard whose first scan is as fast as the others (secretlint compiles its patterns on first use). */
export async function createSecretGuard(): Promise<SecretGuard> {
  const guard = new SecretGuard();
  await guard.scan({ flow: {}, readme: 'warm-up: https://example.com/catalog' });
  return guard;
}
