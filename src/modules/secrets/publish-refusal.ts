import { createHash } from 'node:crypto';
import { FlowContainsSecretsError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { SecretGuard, SecretScanInput } from './secret-guard';

/**
 * The package id of a refused publish may itself be the credential, so the log names it by a
 * hash: enough to match it with the author's own id when they ask, and nothing of the value.
 */
export function packageIdDigest(packageId: string): string {
  return createHash('sha256').update(packageId).digest('hex').slice(0, 16);
}

/**
 * Scans what a publish would share and refuses it with FLOW_CONTAINS_SECRETS when anything holds a
 * credential; the refusal is logged at info (a client's mistake) with the findings' paths and rules only
 * (it is counted with the publish's outcome, `outcome-metrics.ts`).
 */
export async function assertPublishHoldsNoSecrets(
  guard: SecretGuard,
  logger: Logger,
  tenantId: string,
  input: SecretScanInput & { packageId: string },
): Promise<void> {
  const findings = await guard.scan(input);
  if (findings.length === 0) return;
  logger.info({ tenantId, packageIdSha256: packageIdDigest(input.packageId), findings }, 'publish refused: it holds credentials');
  throw new FlowContainsSecretsError(findings);
}
