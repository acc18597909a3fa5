import safeRegex from 'safe-regex2';
import { z } from 'zod';
import { jsonPath, type Problem } from '../../common/errors';
import { isLiteralCredential } from '../secrets/references';
import type { FlowGraph } from './flow-graph';
import { visitStrings } from './requirements';
import { PARAMETER_TYPES, type ParameterDeclaration } from './requirements.types';

/** Most parameters one version may declare. */
export const MAX_PARAMETERS = 100;
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_DESCRIPTION_LENGTH = 2000;
const MAX_ENUM_VALUES = 100;
const MAX_ENUM_VALUE_LENGTH = 200;
const MAX_PATTERN_LENGTH = 500;

/**
 * `{{params.region}}`, also written `{{ params.region }}`; group 1 is the name. Any identifier is
 * matched, not only a valid declaration name, so that a reference to a parameter too long to
 * declare is still reported. Not global, so sharing it carries no `lastIndex`.
 */
export const PARAMETER_REFERENCE = /\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/;

const PARAMETER_REFERENCES = new RegExp(PARAMETER_REFERENCE.source, 'g');

/** The parameter names `text` refers to, in order, repeats included. */
export function parameterNamesIn(text: string): string[] {
  if (!text.includes('{{')) return [];
  return [...text.matchAll(PARAMETER_REFERENCES)].map((match) => match[1]!);
}

/**
 * A declared pattern as a value must match it: in full, compiled as `new RegExp(pattern)` with no
 * flags. The message of the compile error when it is not a regular expression.
 */
export function compileFullMatch(pattern: string): RegExp | { error: string } {
  try {
    // Compiled alone first: `a)(b` is no pattern, though `^(?:a)(b)$` would compile.
    new RegExp(pattern);
    return new RegExp(`^(?:${pattern})$`);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

const declarationFields = z.strictObject({
  name: z
    .string()
    .regex(NAME_PATTERN, 'A parameter name starts with a letter or _ and holds only letters, digits and _ (at most 64 characters)')
    // Every copy of the install values is keyed by name; this one would set a prototype instead.
    .refine((name) => name !== '__proto__', 'The name "__proto__" is not allowed'),
  type: z.enum(PARAMETER_TYPES, { error: `The type must be one of ${PARAMETER_TYPES.join(', ')}` }),
  description: z.string().max(MAX_DESCRIPTION_LENGTH, `A description may have at most ${MAX_DESCRIPTION_LENGTH} characters`).nullish(),
  required: z.boolean().nullish(),
  default: z.union([z.string(), z.number(), z.boolean()], { error: 'A default must be a string, a finite number or a boolean' }).nullish(),
  enum: z
    .array(z.string().max(MAX_ENUM_VALUE_LENGTH, `An enum value may have at most ${MAX_ENUM_VALUE_LENGTH} characters`))
    .max(MAX_ENUM_VALUES, `An enum may list at most ${MAX_ENUM_VALUES} values`)
    .nullish(),
  pattern: z.string().max(MAX_PATTERN_LENGTH, `A pattern may have at most ${MAX_PATTERN_LENGTH} characters`).nullish(),
});

/** The fields as the rules below see them: possibly of the wrong type, when the shape check failed. */
type RawDeclaration = { [K in keyof z.output<typeof declarationFields>]?: unknown };
type Issues = z.core.$RefinementCtx;

/** Runs even when some field has the wrong type, so that one publish hears of every problem. */
const evenWithFieldProblems = { when: (payload: z.core.ParsePayload) => typeof payload.value === 'object' && payload.value !== null };

const declaration = declarationFields
  .superRefine((value, ctx) => checkDeclarationRules(value as RawDeclaration, ctx), evenWithFieldProblems)
  .transform((value): ParameterDeclaration => ({
    name: value.name,
    type: value.type,
    description: value.description ?? null,
    required: value.required ?? false,
    default: value.default ?? null,
    enum: value.enum ?? null,
    pattern: value.pattern ?? null,
  }));

/**
 * The `parameters` field of a publish. Reports every problem, each at its path from the list
 * (`[2].default`); nulls stand for absent fields, and `required` defaults to false.
 */
export const parameterDeclarationsSchema = z
  .array(declaration)
  .max(MAX_PARAMETERS, `At most ${MAX_PARAMETERS} parameters may be declared`)
  .superRefine((declarations, ctx) => checkUniqueNames(declarations, ctx), { when: (payload) => Array.isArray(payload.value) });

function checkUniqueNames(declarations: readonly unknown[], ctx: Issues): void {
  const firstIndex = new Map<string, number>();
  declarations.forEach((item, index) => {
    const name = typeof item === 'object' && item !== null ? (item as RawDeclaration).name : undefined;
    if (typeof name !== 'string') return;
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, index);
    else ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `Duplicate parameter name "${name}" (first declared at [${first}].name)` });
  });
}

function checkDeclarationRules(raw: RawDeclaration, ctx: Issues): void {
  // Rules that depend on the type are only checked against a type we know.
  const type = PARAMETER_TYPES.find((known) => known === raw.type);
  const enumValues = Array.isArray(raw.enum) && raw.enum.every((value) => typeof value === 'string') ? (raw.enum as string[]) : null;
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });

  if (type === 'enum') {
    if (raw.enum === undefined || raw.enum === null) issue(['enum'], 'An enum parameter needs enum, the list of its allowed values');
    else if (Array.isArray(raw.enum) && raw.enum.length === 0) issue(['enum'], 'An enum parameter needs at least one allowed value');
    const firstIndex = new Map<string, number>();
    enumValues?.forEach((value, index) => {
      const first = firstIndex.get(value);
      if (first === undefined) firstIndex.set(value, index);
      else issue(['enum', index], `Duplicate enum value (first listed at enum[${first}])`);
    });
  } else if (type !== undefined && raw.enum !== undefined && raw.enum !== null) {
    issue(['enum'], 'Only enum parameters list allowed values');
  }

  let fullMatch: RegExp | null = null;
  if (typeof raw.pattern === 'string' && type !== undefined) {
    if (type !== 'string') issue(['pattern'], 'Only string parameters take a pattern');
    else if (raw.pattern.length <= MAX_PATTERN_LENGTH) {
      const compiled = compileFullMatch(raw.pattern);
      if (!(compiled instanceof RegExp)) issue(['pattern'], `The pattern is not a valid regular expression: ${compiled.error}`);
      // Install matches the installer's value against it in-process: nested repetition such as
      // `(a+)+` could backtrack for minutes on a short value and stall every request.
      else if (!safeRegex(compiled)) issue(['pattern'], 'The pattern nests repetitions (like (a+)+), which can take exponential time to match: simplify it');
      else fullMatch = compiled;
    }
  }

  const value = raw.default;
  // A default of no JSON scalar type is already reported by the shape check.
  const scalar = typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
  if (!scalar || type === undefined) return;
  const defaultProblem = checkDefault(type, value, enumValues, fullMatch);
  if (defaultProblem !== null) issue(['default'], defaultProblem);
}

/** Messages never quote the default: a secret-reference default may be the very credential it must not be. */
function checkDefault(type: ParameterDeclaration['type'], value: unknown, enumValues: string[] | null, fullMatch: RegExp | null): string | null {
  if (type === 'number') return typeof value === 'number' ? null : 'The default of a number parameter must be a number';
  if (type === 'boolean') return typeof value === 'boolean' ? null : 'The default of a boolean parameter must be true or false';
  if (typeof value !== 'string') return `The default of a ${type} parameter must be a string`;
  if (type === 'enum' && enumValues !== null && !enumValues.includes(value)) return 'The default must be one of the enum values';
  if (type === 'string' && fullMatch !== null && !fullMatch.test(value)) return 'The default does not match the pattern (in full)';
  if (type === 'secret-reference' && isLiteralCredential(value)) {
    return 'The default of a secret-reference parameter must be a reference such as {{credentials.name}}, not a credential';
  }
  return null;
}

/**
 * Each reference to a parameter that is not declared, once per string that holds it (at the
 * string's JSON path, `$.nodes[2].config.url`), then each declaration the flow never refers to
 * (at `parameters[<index>].name`, the publish field). Every string value of the flow counts.
 */
export function checkParameterUse(flow: FlowGraph, declared: ParameterDeclaration[]): Problem[] {
  const declaredNames = new Set(declared.map((parameter) => parameter.name));
  const used = new Set<string>();
  const problems: Problem[] = [];
  visitStrings(flow, (text, path) => {
    const names = new Set(parameterNamesIn(text));
    for (const name of names) {
      used.add(name);
      if (!declaredNames.has(name)) {
        problems.push({ path: jsonPath(path), message: `Parameter "${name}" is not declared: declare it in parameters, or remove the reference` });
      }
    }
  });
  declared.forEach((parameter, index) => {
    if (!used.has(parameter.name)) {
      problems.push({ path: `$.parameters[${index}].name`, message: `Parameter "${parameter.name}" is declared but the flow never uses it` });
    }
  });
  return problems;
}
