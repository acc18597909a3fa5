import { lintSource } from '@secretlint/core';
import { secretLintProfiler } from '@secretlint/profiler';
import { rules as recommendedRules } from '@secretlint/secretlint-rule-preset-recommend';
import type { SecretLintCoreConfig } from '@secretlint/types';

// secretlint profiles every rule by default: it doubled the scan's CPU and kept a record of every
// scan in memory (docs/PERFORMANCE.md). Nothing here reads the profile.
secretLintProfiler.setEnabled(false);

// The preset's comment filter honours `secretlint-disable` written in the scanned text: a flow
// could switch the scan off for itself, so it is left out.
const LEFT_OUT = new Set(['@secretlint/secretlint-rule-filter-comments']);

// The AWS rule reports bare access key ids (AKIA…) only when asked to.
const RULE_OPTIONS: Record<string, object> = { '@secretlint/secretlint-rule-aws': { enableIDScanRule: true } };

const CONFIG: SecretLintCoreConfig = {
  rules: recommendedRules.filter((rule) => !LEFT_OUT.has(rule.meta.id)).map((rule) => ({ id: rule.meta.id, rule, options: RULE_OPTIONS[rule.meta.id] ?? {} })),
};

// Texts are scanned as one source, one per block: no preset pattern spans an empty line, and a
// match that still crosses a boundary is checked again text by text.
const SEPARATOR = '\n\n';

/** `@secretlint/secretlint-rule-github` → `secretlint/github`. */
function shortRuleName(ruleId: string): string {
  return ruleId.replace(/^@secretlint\/secretlint-rule-/, 'secretlint/');
}

interface SecretlintHit {
  /** Index of the text in the list given to `scan`. */
  index: number;
  rule: string;
}

async function lint(content: string) {
  const result = await lintSource({
    source: { content, filePath: 'flow.txt', contentType: 'text' },
    // maskSecrets: the messages (which we never pass on) hold no value either.
    options: { config: CONFIG, noPhysicFilePath: true, maskSecrets: true },
  });
  return result.messages;
}

/** Runs secretlint's recommended rules over many texts in one pass and says which text each hit is in. */
export async function scanWithSecretlint(texts: readonly string[]): Promise<SecretlintHit[]> {
  if (texts.length === 0) return [];
  const starts: number[] = [];
  let offset = 0;
  for (const text of texts) {
    starts.push(offset);
    offset += text.length + SEPARATOR.length;
  }
  const hits: SecretlintHit[] = [];
  const recheck = new Set<number>();
  for (const message of await lint(texts.join(SEPARATOR))) {
    const first = textAt(starts, message.range[0]);
    const last = textAt(starts, Math.max(message.range[0], message.range[1] - 1));
    if (first === last) hits.push({ index: first, rule: shortRuleName(message.ruleId) });
    else for (let index = first; index <= last; index++) recheck.add(index);
  }
  for (const index of recheck) {
    for (const message of await lint(texts[index]!)) hits.push({ index, rule: shortRuleName(message.ruleId) });
  }
  return hits;
}

/** The index of the text that the offset falls in (binary search over the start offsets). */
function textAt(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (starts[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}
