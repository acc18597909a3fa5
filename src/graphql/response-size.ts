import type { ApolloServerPlugin } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import type { Logger } from '../common/logger';
import { ResponseTooLargeError } from '../common/errors';

/**
 * The backstop of the answer limit: the cost walk (src/graphql/cost.ts) refuses before execution
 * what could pass `maxResponseBytes` by the fields' known maxima; an answer that grows past it
 * anyway (values with no stored maximum, JSON escaping) is replaced by a `RESPONSE_TOO_LARGE`
 * error instead of being sent. Registered after `graphqlHttpStatus`, so its status stands.
 *
 * Measuring an answer means serializing it; the text made here is the one sent (`stringify`,
 * Apollo's `stringifyResult`), so an answer of megabytes is serialized once, not twice: on one
 * event loop, every millisecond spent on a large answer is a millisecond another tenant's small
 * request waits.
 */
export function responseSizeLimit(maxResponseBytes: number, logger: Logger) {
  /** The text of each measured answer, by its `data` (Apollo passes a reordered copy of the result). */
  const serialized = new WeakMap<object, { rest: string; text: string }>();
  const plugin: ApolloServerPlugin = {
    async requestDidStart() {
      return {
        async willSendResponse({ response, operationName }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const text = serialize(result);
          const bytes = Buffer.byteLength(text);
          if (bytes <= maxResponseBytes) {
            if (result.data) serialized.set(result.data, { rest: restOf(result), text });
            return;
          }
          const error = new ResponseTooLargeError(bytes, maxResponseBytes);
          logger.info({ operationName, responseBytes: bytes, limit: maxResponseBytes }, 'answer cut: over MAX_RESPONSE_BYTES');
          response.body.singleResult = {
            errors: [{ message: error.message, extensions: { code: error.code, responseBytes: bytes, limit: maxResponseBytes } }],
          };
          response.http.status = 400;
        },
      };
    },
  };
  const stringify = (value: FormattedExecutionResult): string => {
    const measured = value.data ? serialized.get(value.data) : undefined;
    // Used only when nothing changed the result after it was measured: a later plugin may add to
    // `errors` or `extensions` (federated tracing adds `extensions.ftv1` in place). Those are small
    // next to `data`, which no plugin changes once it is executed.
    if (measured && measured.rest === restOf(value)) return measured.text;
    return serialize(value);
  };
  return { plugin, stringify };
}

/** Apollo's own serialization: its field order, one trailing newline. */
function serialize(result: FormattedExecutionResult): string {
  return `${JSON.stringify({ errors: result.errors, data: result.data, extensions: result.extensions })}\n`;
}

/** The small parts of a result, to tell whether they changed after it was measured. */
function restOf(result: FormattedExecutionResult): string {
  return JSON.stringify([result.errors, result.extensions]) ?? '';
}
