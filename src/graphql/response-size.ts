import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '../common/logger';
import { ResponseTooLargeError } from '../common/errors';

/**
 * The backstop of the answer limit: the cost walk (src/graphql/cost.ts) refuses before execution
 * what could pass `maxResponseBytes` by the fields' known maxima; an answer that grows past it
 * anyway (values with no stored maximum, JSON escaping) is replaced by a `RESPONSE_TOO_LARGE`
 * error instead of being sent. Registered after `partialDataIsSuccess`, so its status stands.
 */
export function responseSizeLimit(maxResponseBytes: number, logger: Logger): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, operationName }) {
          if (response.body.kind !== 'single') return;
          const bytes = Buffer.byteLength(JSON.stringify(response.body.singleResult));
          if (bytes <= maxResponseBytes) return;
          const error = new ResponseTooLargeError(bytes, maxResponseBytes);
          logger.info({ operationName, responseBytes: bytes, limit: maxResponseBytes }, 'answer cut: over MAX_RESPONSE_BYTES');
          response.body.singleResult = { errors: [{ message: error.message, extensions: { code: error.code, responseBytes: bytes, limit: maxResponseBytes } }] };
          response.http.status = 400;
        },
      };
    },
  };
}
