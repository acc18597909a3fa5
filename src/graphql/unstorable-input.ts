import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, visit, type ArgumentNode, type DocumentNode, type OperationDefinitionNode, type ValueNode } from 'graphql';
import { BadUserInputError, type Problem } from '../common/errors';
import { isUnstorable, UNSTORABLE_MESSAGE, unstorableStrings } from '../common/unstorable-strings';

/**
 * The GraphQL half of the one input check (the REST half is src/http/unstorable-input.ts): every
 * string an operation's arguments carry, inline or through variables (JSON scalars included, to
 * any depth), is refused with BAD_USER_INPUT when the database could not store it, before any
 * resolver runs. Problems are located by argument name, as the use cases locate theirs
 * (`$.input.name`, `$.installed[1].version`), whichever variable carried the value.
 */
export function unstorableInputGuard(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request }) {
          if (!operation) return;
          const problems = unstorableArguments(document, operation, request.variables ?? {});
          if (problems.length > 0) throw new BadUserInputError('Invalid input: a string cannot be stored', problems);
        },
      };
    },
  };
}

function unstorableArguments(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): Problem[] {
  const defaults = new Map(operation.variableDefinitions?.map((definition) => [definition.variable.name.value, definition.defaultValue]) ?? []);
  const problems: Problem[] = [];
  const checkValue = (node: ValueNode, path: string): void => {
    switch (node.kind) {
      case Kind.STRING:
        if (isUnstorable(node.value)) problems.push({ path, message: UNSTORABLE_MESSAGE });
        return;
      case Kind.LIST:
        node.values.forEach((item, i) => checkValue(item, `${path}[${i}]`));
        return;
      case Kind.OBJECT:
        for (const field of node.fields) checkValue(field.value, `${path}.${field.name.value}`);
        return;
      case Kind.VARIABLE: {
        const name = node.name.value;
        if (Object.hasOwn(variables, name)) problems.push(...unstorableStrings(variables[name], path));
        else if (defaults.get(name)) checkValue(defaults.get(name)!, path);
        return;
      }
      default:
        return;
    }
  };
  // The operation that runs and the fragments it may spread; other operations of the document do not run.
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION && definition !== operation) continue;
    visit(definition, {
      Argument(argument: ArgumentNode) {
        checkValue(argument.value, `$.${argument.name.value}`);
      },
    });
  }
  return problems.slice(0, 20);
}
