import { firstFlowRule } from './flow-rules';
import { collectStrings, type StringAt } from './json-strings';
import { scanWithSecretlint } from './secretlint-scanner';

/** Where a credential was found and which rule recognised it; never the value itself. */
export interface SecretFinding {
  /** JSON pointer into the flow (`/nodes/3/config/headers/Authorization`), or `/readme`,
   * `/description`, `/changelog`, `/name` for the publish request's own texts. */
  path: string;
  rule: string;
}

export interface SecretScanInput {
  flow: unknown;
  readme?: string | null;
  description?: string | null;
  changelog?: string | null;
  name?: string | null;
}

/** Shorter strings are not scanned: no supported key format and no password we refuse is shorter. */
export const MIN_SCANNED_LENGTH = 8;

// Base64 payloads (images, files) are out of scope; skipping them saves most of a big flow's scan.
const BASE64_DATA_URI = /^data:[\w.+/-]{0,100}(?:;[\w.=-]{0,100})*;base64,/;

const PUBLISH_TEXTS = ['readme', 'description', 'changelog', 'name'] as const;

function mayHoldSecret({ text }: StringAt): boolean {
  return text.length >= MIN_SCANNED_LENGTH && !BASE64_DATA_URI.test(text);
}

/**
 * Refuses what should not be shared: scans every string of a flow (values and keys, at any
 * depth) and the texts published with it for credentials. secretlint's recommended rules find
 * the well-known key and token formats; the flow rules add what flows carry (see flow-rules.ts).
 */
export class SecretGuard {
  async scan(input: SecretScanInput): Promise<SecretFinding[]> {
    const publishTexts = PUBLISH_TEXTS.flatMap((field): StringAt[] => {
      const text = input[field];
      return typeof text === 'string' ? [{ pointer: `/${field}`, text }] : [];
    });
    const strings = [...collectStrings(input.flow), ...publishTexts].filter(mayHoldSecret);
    const secretlintRules = new Map<number, Set<string>>();
    for (const hit of await scanWithSecretlint(strings.map((s) => s.text))) {
      secretlintRules.set(hit.index, (secretlintRules.get(hit.index) ?? new Set()).add(hit.rule));
    }
    const findings: SecretFinding[] = [];
    strings.forEach(({ pointer, text, key }, index) => {
      const known = secretlintRules.get(index);
      if (known) for (const rule of known) findings.push({ path: pointer, rule });
      else {
        const rule = firstFlowRule(text, key);
        if (rule) findings.push({ path: pointer, rule });
      }
    });
    return findings.sort((a, b) => compare(a.path, b.path) || compare(a.rule, b.rule));
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
