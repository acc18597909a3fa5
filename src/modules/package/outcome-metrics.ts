import { CatalogError, QuotaExceededError } from '../../common/errors';
import { metrics } from '../../infra/metrics/metrics';

/** `ok`, the contract's code of a refusal, or `error` for anything we did not raise on purpose. */
function resultOf(error: unknown): string {
  return error instanceof CatalogError ? error.code : 'error';
}

/** Counts what one refused publish was refused for: secrets and quotas have counters of their own. */
function countRefusal(error: unknown): void {
  if (error instanceof QuotaExceededError) metrics.quotaRefusals.inc({ quota: error.quota.name });
  if (error instanceof CatalogError && error.code === 'FLOW_CONTAINS_SECRETS') metrics.secretGuardRefusals.inc();
}

/**
 * Wraps a use case so its outcome is counted where it happens, once per call, whichever edge
 * called it: the documented publish / install counters (by result) and the refusal counters.
 */
export function countedOutcome<A extends unknown[], R>(
  counter: typeof metrics.publishes | typeof metrics.installs,
  useCase: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      const result = await useCase(...args);
      counter.inc({ result: 'ok' });
      return result;
    } catch (error) {
      counter.inc({ result: resultOf(error) });
      countRefusal(error);
      throw error;
    }
  };
}
