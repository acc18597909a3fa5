import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, Kind, type GraphQLFormattedError, type ParseOptions, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';

/**
 * Every limit of the GraphQL edge, in one place (docs/API.md, "Limits"). A request past any of
 * them is refused while parsing or validating, before the context's services run a resolver or
 * touch the database. `first` is capped at MAX_PAGE_SIZE by the services (src/common/pagination.ts).
 */
interface GraphQLLimits {
  bodyBytes: string;
  tokens: number;
  depth: number;
  aliases: number;
  rootFields: number;
  directives: number;
}

export const GRAPHQL_LIMITS: Readonly<GraphQLLimits> = {
  /** JSON body of one POST /graphql (a 1 MiB inline flow fits, with its envelope). */
  bodyBytes: '2mb',
  /** Lexical tokens in the document; GraphiQL's own introspection query is about 180. */
  tokens: 1000,
  /** Field nesting; the deepest useful path in the schema (packages → versions → node → field) is 7. */
  depth: 8,
  /** Aliased fields (`__typename` aliases are free). */
  aliases: 10,
  /** Fields at the root of one operation, fragments included: each may be a database round trip. */
  rootFields: 5,
  /** Directives anywhere in one operation. */
  directives: 10,
};

interface GraphQLProtection {
  parseOptions: ParseOptions;
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin[];
}

/**
 * Apollo Server options that enforce the limits: graphql-js counts tokens while parsing, GraphQL
 * Armor's rules check depth, aliases and directives, our own rule checks root fields. Field
 * suggestions ("Did you mean …?") are masked when the schema is not meant to be discoverable.
 */
export function graphqlProtection(options: { blockFieldSuggestions: boolean; limits?: Partial<GraphQLLimits> }): GraphQLProtection {
  const limits = { ...GRAPHQL_LIMITS, ...options.limits };
  // Armor's own messages start with "Syntax Error:"; ours say which limit was hit and by how much.
  const reject = { propagateOnRejection: false, onReject: [reportLimit] };
  const armorConfig: ConstructorParameters<typeof ApolloArmor>[0] = {
    maxDepth: { n: limits.depth, ignoreIntrospection: true, ...reject },
    maxAliases: { n: limits.aliases, ...reject },
    maxDirectives: { n: limits.directives, ...reject },
    // Tokens are counted by graphql-js itself (parseOptions below), which aborts the parse early.
    maxTokens: { enabled: false },
    // Armor's cost does not multiply by list sizes; src/graphql/cost.ts counts `first` through nesting.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: options.blockFieldSuggestions },
  };
  const armor = new ApolloArmor(armorConfig).protect();
  return {
    parseOptions: { maxTokens: limits.tokens },
    validationRules: [...armor.validationRules, maxRootFieldsRule(limits.rootFields), knownOperationTypeRule],
    plugins: armor.plugins,
  };
}

function reportLimit(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, '')));
}

/** Counts the fields at the root of each operation, looking through fragments (each counted once). */
function maxRootFieldsRule(max: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const found = countRootFields(context, operation.selectionSet, new Set());
      if (found > max) {
        context.reportError(new GraphQLError(`Root fields limit of ${max} exceeded, found ${found}.`, { nodes: [operation] }));
      }
    },
  });
}

function countRootFields(context: ValidationContext, selectionSet: SelectionSetNode, seenFragments: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      count += 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countRootFields(context, selection.selectionSet, seenFragments);
    } else if (!seenFragments.has(selection.name.value)) {
      seenFragments.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) count += countRootFields(context, fragment.selectionSet, seenFragments);
    }
  }
  return count;
}

/**
 * graphql-js 16 validates a `subscription` against a schema without one and only fails while
 * executing, with an error that looks internal. Refuse it while validating instead.
 */
const knownOperationTypeRule: ValidationRule = (context) => ({
  OperationDefinition(operation) {
    if (!context.getSchema().getRootType(operation.operation)) {
      context.reportError(new GraphQLError(`This service has no ${operation.operation} operations.`, { nodes: [operation] }));
    }
  },
});

// graphql-js 16 spells it "more that"; accept the fixed spelling too.
const TOKEN_LIMIT_MESSAGE = /^Syntax Error: Document contains more th(?:at|an) (\d+) tokens/;

/**
 * graphql-js reports the token limit as a parse failure; callers get it like every other limit:
 * GRAPHQL_VALIDATION_FAILED with a message naming the limit.
 */
export function rewriteLimitError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const match = TOKEN_LIMIT_MESSAGE.exec(formatted.message);
  if (!match || formatted.extensions?.code !== 'GRAPHQL_PARSE_FAILED') return formatted;
  return {
    message: `Token limit of ${match[1]} exceeded: the document is too long. Parsing aborted.`,
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
  };
}
