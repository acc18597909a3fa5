import type { ApolloServerPlugin } from '@apollo/server';
import { HTTP_STATUS_BY_CODE, type ErrorCode } from '../common/errors';

/**
 * The HTTP status of a GraphQL answer (GraphQL-over-HTTP): one with non-null `data` is a 2xx,
 * whatever its field errors say (a failed root field next to a successful one); one without data
 * (refused before execution, or its only field failed) takes the status of its first error's code,
 * as REST does for the same code. Masked internal errors keep Apollo's own status, and so do
 * Apollo's request errors (their codes are not ours).
 */
export function graphqlHttpStatus(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (data != null) {
            response.http.status = 200;
            return;
          }
          const code = errors?.map((error) => error.extensions?.['code']).find(isOwnCode);
          if (code) response.http.status = HTTP_STATUS_BY_CODE[code];
        },
      };
    },
  };
}

function isOwnCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR' && Object.hasOwn(HTTP_STATUS_BY_CODE, code);
}
