import { PolicyViolationError, type PolicyViolation } from '../../common/errors';
import { evaluatePolicy, hasContentRules, type PolicyFlow } from './evaluate-policy';
import type { PolicyRules } from './policy-rules';

/**
 * What a publish's provenance statement records of the policy: `none` when the tenant has no
 * content rule, else each content rule that ran with its mode and result (strings only: the
 * statement's canonical form holds no numbers).
 */
export type PolicyChecks = 'none' | Record<string, { mode: string; result: 'passed' | 'violated' }>;

/** What a publish the policy let through carries: the dry-run violations, and the record for its statement. */
export interface PolicyOutcome {
  dryRunViolations: PolicyViolation[];
  checks: PolicyChecks;
}

/**
 * The content rules of the publisher's tenant's policy over the compiled flow, before anything is
 * written: any ENFORCE violation refuses the publish with all of them (POLICY_VIOLATION); DRY_RUN
 * violations let it through, reported. The release rules are not this check's (they act on
 * channels and staged versions).
 */
export function checkPublishPolicy(rules: PolicyRules, flow: PolicyFlow): PolicyOutcome {
  if (!hasContentRules(rules)) return { dryRunViolations: [], checks: 'none' };
  const { violations, outcomes } = evaluatePolicy(rules, flow);
  const enforced = violations.filter((violation) => violation.mode === 'enforce');
  if (enforced.length > 0) throw new PolicyViolationError(enforced.map(plain));
  const checks: Record<string, { mode: string; result: 'passed' | 'violated' }> = {};
  for (const [rule, outcome] of Object.entries(outcomes)) checks[rule] = { mode: outcome.mode, result: outcome.passed ? 'passed' : 'violated' };
  return { dryRunViolations: violations.map(plain), checks };
}

function plain({ rule, path, message }: PolicyViolation): PolicyViolation {
  return { rule, path, message };
}
