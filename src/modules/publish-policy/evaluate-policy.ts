import type { PolicyViolation } from '../../common/errors';
import { escapeToken } from '../flow/json-pointer';
import { CONTENT_RULES, type ContentRule, type PolicyMode, type PolicyRules } from './policy-rules';

/** What a publish policy evaluator needs of a compiled flow: its nodes' types and configs. */
export interface PolicyFlow {
  nodes: ReadonlyArray<{ type: string; config?: Record<string, unknown> | null }>;
}

/** A violation with the mode of the rule it breaks. */
export interface ModedViolation extends PolicyViolation {
  rule: ContentRule;
  mode: PolicyMode;
}

/** What the content rules made of one flow: every violation, and each rule's outcome. */
export interface PolicyEvaluation {
  violations: ModedViolation[];
  /** The content rules that ran, with their mode and whether the flow passed them. */
  outcomes: Partial<Record<ContentRule, { mode: PolicyMode; passed: boolean }>>;
}

/**
 * The content rules of a publish policy over a compiled flow, as a pure function: violations in
 * node order, node types first, then hosts (in document order within a node's config), then the
 * node count. Pointers are RFC 6901, e.g. `/nodes/3/type`, `/nodes/2/config/url`.
 */
export function evaluatePolicy(rules: PolicyRules, flow: PolicyFlow): PolicyEvaluation {
  const violations: ModedViolation[] = [];
  const { allowedNodeTypes, allowedHosts, maxNodes } = rules;
  if (allowedNodeTypes) {
    const matchers = allowedNodeTypes.patterns.map(globMatcher);
    flow.nodes.forEach((node, index) => {
      if (matchers.some((matches) => matches(node.type))) return;
      violations.push({
        rule: 'allowedNodeTypes',
        mode: allowedNodeTypes.mode,
        path: `/nodes/${index}/type`,
        message: `Node type ${node.type} is not among the allowed node types`,
      });
    });
  }
  if (allowedHosts) {
    const patterns = allowedHosts.patterns;
    flow.nodes.forEach((node, index) => {
      if (!node.config) return;
      for (const { pointer, host } of urlHostsIn(node.config, `/nodes/${index}/config`)) {
        if (patterns.some((pattern) => hostMatches(pattern, host))) continue;
        violations.push({ rule: 'allowedHosts', mode: allowedHosts.mode, path: pointer, message: `Host ${host} is not among the allowed hosts` });
      }
    });
  }
  if (maxNodes && flow.nodes.length > maxNodes.limit) {
    violations.push({
      rule: 'maxNodes',
      mode: maxNodes.mode,
      path: '/nodes',
      message: `The flow has ${flow.nodes.length} nodes; the policy allows at most ${maxNodes.limit}`,
    });
  }
  const outcomes: PolicyEvaluation['outcomes'] = {};
  for (const rule of CONTENT_RULES) {
    const set = rules[rule];
    if (set) outcomes[rule] = { mode: set.mode, passed: !violations.some((violation) => violation.rule === rule) };
  }
  return { violations, outcomes };
}

/** Whether the policy has any rule a publish checks (without one, nothing needs evaluating). */
export function hasContentRules(rules: PolicyRules): boolean {
  return CONTENT_RULES.some((rule) => rules[rule] !== undefined);
}

/** `*` matches any run of characters (dots included); everything else matches itself, case-sensitively. */
export function globMatcher(pattern: string): (value: string) => boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${source}$`, 's');
  return (value) => regex.test(value);
}

/** `api.example.com` matches that host only; `*.example.com` every host below example.com, not example.com itself. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return host === pattern;
}

/** Every string below `value` that parses as an http(s) URL, with its pointer and its (lower-case) host. */
export function urlHostsIn(value: unknown, pointer: string): Array<{ pointer: string; host: string }> {
  const found: Array<{ pointer: string; host: string }> = [];
  const walk = (current: unknown, at: string): void => {
    if (typeof current === 'string') {
      const host = httpHost(current);
      if (host !== null) found.push({ pointer: at, host });
    } else if (Array.isArray(current)) {
      current.forEach((item, index) => walk(item, `${at}/${index}`));
    } else if (typeof current === 'object' && current !== null) {
      // The flow is checked to nest at most MAX_DEPTH levels: this recursion is bounded.
      for (const [key, item] of Object.entries(current)) walk(item, `${at}/${escapeToken(key)}`);
    }
  };
  walk(value, pointer);
  return found;
}

/** The host of an absolute http(s) URL (WHATWG parsing, so lower-cased and punycoded), else null. */
function httpHost(text: string): string | null {
  const trimmed = text.trim();
  if (!/^https?:\/\//i.test(trimmed)) return null;
  try {
    const url = new URL(trimmed);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    // An IPv6 literal keeps its brackets in `hostname`; patterns never match it unless it is listed as such.
    return url.hostname.endsWith('.') ? url.hostname.slice(0, -1) : url.hostname;
  } catch {
    return null;
  }
}
