import type { ApolloServerPlugin } from '@apollo/server';

/**
 * GraphQL-over-HTTP: an answer with non-null `data` is a 2xx, whatever its field errors say
 * (a failed root field next to a successful one). Our errors carry their HTTP status for the
 * cases where no data came back (parse, validation, a failing single field, authentication).
 */
export function partialDataIsSuccess(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind === 'single' && response.body.singleResult.data != null) response.http.status = 200;
        },
      };
    },
  };
}
