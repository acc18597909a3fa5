import { z } from 'zod';
import { BadUserInputError, toProblems } from '../../common/errors';
import { MAX_NODES } from '../flow/flow-graph';

/**
 * The rules of a tenant's publish policy (docs/API.md, "Publish policies"): the shape an admin
 * sets, the one `catalog_publish_policy.rules` stores and the one a publish reads. Every rule is
 * optional and has its mode: `enforce` refuses a publish that breaks it, `dry_run` lets it through
 * and reports what it broke.
 */

export const POLICY_MODES = ['dry_run', 'enforce'] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];

/** The rules a publish checks against the flow's content. */
export const CONTENT_RULES = ['allowedNodeTypes', 'allowedHosts', 'maxNodes'] as const;
export type ContentRule = (typeof CONTENT_RULES)[number];

/** Most patterns in one allowlist. */
export const MAX_PATTERNS = 100;
/** A node type pattern: node type characters (flow-graph.ts) and `*`, at most 128 of them. */
const NODE_TYPE_PATTERN = /^[A-Za-z*][\w.:*-]*$/;
/** A host pattern: a lower-case host name (or IPv4 address), optionally `*.` before it; at most 253 characters. */
const HOST_PATTERN = /^(\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const MAX_HOST_PATTERN_LENGTH = 253;
/** A week: longer cooling-off periods are mistakes rather than policy. */
export const MAX_COOLING_OFF_MINUTES = 10_080;

const mode = z.enum(POLICY_MODES);

function patternRule(pattern: RegExp, maxLength: number, what: string) {
  const one = z.string().max(maxLength, `A pattern may have at most ${maxLength} characters`).regex(pattern, `Not a valid ${what} pattern`);
  return z.strictObject({
    patterns: z
      .array(one)
      .min(1, 'List at least one pattern (leave the rule out to allow everything)')
      .max(MAX_PATTERNS, `At most ${MAX_PATTERNS} patterns`)
      .refine((list) => new Set(list).size === list.length, 'Patterns must not repeat'),
    mode,
  });
}

export const policyRulesSchema = z.strictObject({
  /** Glob patterns over node types: `*` matches any run of characters (`http.*`, `openai.chat`). */
  allowedNodeTypes: patternRule(NODE_TYPE_PATTERN, 128, 'node type').optional(),
  /** Hosts every http(s) URL in any node's config must have: `api.example.com`, `*.example.com`. */
  allowedHosts: patternRule(HOST_PATTERN, MAX_HOST_PATTERN_LENGTH, 'host (lower case, e.g. api.example.com or *.example.com)').optional(),
  maxNodes: z.strictObject({ limit: z.int().min(1).max(MAX_NODES), mode }).optional(),
  /** Release rules: requireApproval stages publishes (publish-package.ts); the other two are stored and returned, not applied yet. */
  requireApproval: z.strictObject({ mode }).optional(),
  explicitPromotion: z.strictObject({ mode }).optional(),
  coolingOffMinutes: z.strictObject({ minutes: z.int().min(0).max(MAX_COOLING_OFF_MINUTES), mode }).optional(),
});

export type PolicyRules = z.infer<typeof policyRulesSchema>;

/** Checks rules as an admin sent them: BAD_USER_INPUT with every problem located (`$.input.allowedHosts.patterns[2]`). */
export function parsePolicyRules(input: unknown): PolicyRules {
  const result = policyRulesSchema.safeParse(withoutAbsent(input));
  if (!result.success) {
    throw new BadUserInputError('Invalid publish policy', toProblems(result.error.issues.map((issue) => ({ ...issue, path: ['input', ...issue.path] }))));
  }
  return result.data;
}

/**
 * The rules as stored. A row written by a later release may hold rules this one does not know:
 * they are dropped rather than failing every publish of the tenant, and a rule this release
 * cannot read is dropped alone.
 */
export function storedPolicyRules(stored: unknown): PolicyRules {
  const rules: Record<string, unknown> = {};
  if (typeof stored !== 'object' || stored === null) return {};
  for (const [name, rule] of Object.entries(stored)) {
    const field = policyRulesSchema.shape[name as keyof PolicyRules];
    if (!field) continue;
    const parsed = field.safeParse(rule);
    if (parsed.success && parsed.data !== undefined) rules[name] = parsed.data;
  }
  return rules as PolicyRules;
}

/** GraphQL hands omitted input fields over as undefined and explicit nulls as null: both mean "no such rule". */
function withoutAbsent(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== null && value !== undefined));
}
