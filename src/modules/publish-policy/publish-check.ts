import { PolicyViolationError, type PolicyViolation } from '../../common/errors';
import { evaluatePolicy, hasContentRules, type PolicyFlow } from './evaluate-policy';
import type { PolicyRules } from './policy-rules';

/**
 * What a publish's provenance statement records of the policy: `none` when the tenant has no
 * content rule, else each content rule that ran as `rule:mode:result`, comma-separated, e.g.
 * `allowedNodeTypes:enforce:passed,maxNodes:dry_run:violated`. A string like every other check,
 * so the predicate's shape (and its type URI) stays what verifiers know.
 */
export type PolicyChecks = string;

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
  const checks = Object.entries(outcomes)
    .map(([rule, outcome]) => `${rule}:${outcome.mode}:${outcome.passed ? 'passed' : 'violated'}`)
    .join(',');
  return { dryRunViolations: violations.map(plain), checks };
}

function plain({ rule, path, message }: PolicyViolation): PolicyViolation {
  return { rule, path, message };
}
