import type { ErrorCode } from '../common/errors';

/** What any operation can answer: no valid token, over the rate limit, the query cost or the answer size, a dependency down. */
const ANY_OPERATION: ErrorCode[] = ['UNAUTHENTICATED', 'TOO_MANY_REQUESTS', 'COST_LIMIT_EXCEEDED', 'RESPONSE_TOO_LARGE', 'SERVICE_UNAVAILABLE'];

/** An operation's description ending with the error codes it can raise (`extensions.code`), its own first. */
export function withErrors(description: string, codes: ErrorCode[]): string {
  return `${description}. Errors: ${[...codes, ...ANY_OPERATION].join(', ')}.`;
}
