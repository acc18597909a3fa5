import type { Problem } from '../../common/errors';
import { isLiteralCredential } from '../secrets/references';
import { compileFullMatch, PARAMETER_REFERENCE } from './parameters';
import { CREDENTIAL_REFERENCE } from './requirements';
import type { CredentialSlot, ParameterDeclaration } from './requirements.types';

export type ParameterValue = string | number | boolean;

/** The installer's credential `credential` stands in for the version's slot `slot`. */
export interface CredentialBinding {
  slot: string;
  credential: string;
}

const CREDENTIAL_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

/** A string that is one parameter reference and nothing else: it takes the value's own type. */
const WHOLE_PARAMETER_REFERENCE = new RegExp(`^${PARAMETER_REFERENCE.source}$`);

/** Either reference, in one pass, so that text a value brings in is never rewritten in turn. Groups: 1 parameter; 2-5 as CREDENTIAL_REFERENCE's 1-4. */
const ANY_REFERENCE = new RegExp(`${PARAMETER_REFERENCE.source}|${CREDENTIAL_REFERENCE.source}`, 'g');

/** Enum values listed in a message before the rest are only counted. */
const LISTED_ENUM_VALUES = 10;

/**
 * The values to stamp into a copy: each given value checked against its declaration, defaults
 * filling in what was not given (a null counts as not given). Problems are at `parameters.<name>`
 * (or `parameters` when `given` is no object) and never quote a given value, which may be a secret.
 */
export function resolveParameterValues(declared: ParameterDeclaration[], given: unknown): { values: Record<string, ParameterValue>; problems: Problem[] } {
  if (!isPlainObject(given))
    return { values: {}, problems: [{ path: '$.parameters', message: 'Parameter values must be a JSON object keyed by parameter name' }] };
  const values: Record<string, ParameterValue> = {};
  const problems: Problem[] = [];
  for (const declaration of declared) {
    const path = `$.parameters.${declaration.name}`;
    // Own properties only: a parameter named `constructor` must not find Object's.
    const value = Object.hasOwn(given, declaration.name) ? given[declaration.name] : undefined;
    if (value === undefined || value === null) {
      if (declaration.default !== null) values[declaration.name] = declaration.default;
      else if (declaration.required) problems.push({ path, message: `Parameter "${declaration.name}" is required` });
      continue;
    }
    const problem = valueProblem(declaration, value);
    if (problem === null) values[declaration.name] = value as ParameterValue;
    else problems.push({ path, message: problem });
  }
  const declaredNames = new Set(declared.map((declaration) => declaration.name));
  for (const name of Object.keys(given)) {
    if (!declaredNames.has(name)) problems.push({ path: `$.parameters.${name}`, message: 'This version declares no parameter of this name' });
  }
  return { values, problems };
}

/** A value is stamped into a flow of at most 1 MiB, and string values are matched against the publisher's pattern: bounded. */
const MAX_STRING_VALUE_LENGTH = 10_000;

function valueProblem(declaration: ParameterDeclaration, value: unknown): string | null {
  const name = `Parameter "${declaration.name}"`;
  switch (declaration.type) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : `${name} must be a number`;
    case 'boolean':
      return typeof value === 'boolean' ? null : `${name} must be true or false`;
    case 'enum':
      return typeof value === 'string' && (declaration.enum ?? []).includes(value) ? null : `${name} must be one of ${describeEnum(declaration.enum ?? [])}`;
    case 'secret-reference':
      if (typeof value !== 'string') return `${name} must be a string`;
      if (value.length > MAX_STRING_VALUE_LENGTH) return `${name} may have at most ${MAX_STRING_VALUE_LENGTH} characters`;
      return isLiteralCredential(value) ? `${name} must be a reference to a credential kept elsewhere (such as {{credentials.name}}), not a credential` : null;
    case 'string':
      if (typeof value !== 'string') return `${name} must be a string`;
      if (value.length > MAX_STRING_VALUE_LENGTH) return `${name} may have at most ${MAX_STRING_VALUE_LENGTH} characters`;
      return declaration.pattern === null || matchesInFull(declaration.pattern, value)
        ? null
        : `${name} must match the pattern /${declaration.pattern}/ in full`;
  }
}

function matchesInFull(pattern: string, value: string): boolean {
  const compiled = compileFullMatch(pattern);
  // Publish refuses a pattern that does not compile; should one be stored anyway, nothing matches it.
  return compiled instanceof RegExp && compiled.test(value);
}

function describeEnum(values: string[]): string {
  const listed = values.slice(0, LISTED_ENUM_VALUES).map((value) => JSON.stringify(value));
  const more = values.length - listed.length;
  return more > 0 ? `${listed.join(', ')} (or ${more} more)` : listed.join(', ');
}

/**
 * Each binding must name a slot of the version, at most once, and a credential by a well-formed
 * name. Problems are at `credentialBindings[<index>].slot` and `.credential`; the credential is
 * never quoted (an installer may paste the secret itself there by mistake).
 */
export function validateBindings(slots: CredentialSlot[], bindings: CredentialBinding[]): Problem[] {
  const slotNames = new Set(slots.map((slot) => slot.name));
  const firstBinding = new Map<string, number>();
  const problems: Problem[] = [];
  bindings.forEach((binding, index) => {
    const at = `$.credentialBindings[${index}]`;
    const first = firstBinding.get(binding.slot);
    if (!slotNames.has(binding.slot)) {
      problems.push({ path: `${at}.slot`, message: `No credential slot of this version has this name; its slots are: ${describeSlots(slots)}` });
    } else if (first !== undefined) {
      problems.push({ path: `${at}.slot`, message: `Slot "${binding.slot}" is already bound at credentialBindings[${first}]` });
    } else {
      firstBinding.set(binding.slot, index);
    }
    if (typeof binding.credential !== 'string' || !CREDENTIAL_NAME.test(binding.credential)) {
      problems.push({
        path: `${at}.credential`,
        message: 'A credential name starts with a letter or _ and holds only letters, digits, _ and - (at most 128 characters)',
      });
    }
  });
  return problems;
}

function describeSlots(slots: CredentialSlot[]): string {
  return slots.length === 0 ? '(none)' : slots.map((slot) => `"${slot.name}"`).join(', ');
}

/**
 * A deep copy of `flow` with the install values written in, in string values only (keys stay):
 * a string that is one `{{params.x}}` reference becomes the value itself (a number stays a number),
 * a reference within longer text becomes `String(value)`; `{{credentials.slot…}}` names the bound
 * credential instead, its field path and spacing kept. References to parameters without a value,
 * and to slots without a binding, stay as written. The first binding of a slot counts.
 */
export function stampFlow(flow: Record<string, unknown>, values: Record<string, ParameterValue>, bindings: CredentialBinding[]): Record<string, unknown> {
  const credentialBySlot = new Map<string, string>();
  for (const binding of bindings) if (!credentialBySlot.has(binding.slot)) credentialBySlot.set(binding.slot, binding.credential);
  const valueOf = (name: string): ParameterValue | undefined => (Object.hasOwn(values, name) ? values[name] : undefined);

  const stampText = (text: string): unknown => {
    if (!text.includes('{{')) return text;
    const whole = WHOLE_PARAMETER_REFERENCE.exec(text);
    if (whole !== null) return valueOf(whole[1]!) ?? text;
    return text.replace(ANY_REFERENCE, (reference: string, parameter?: string, open?: string, slot?: string, fields?: string, close?: string) => {
      if (parameter !== undefined) {
        const value = valueOf(parameter);
        return value === undefined ? reference : String(value);
      }
      const credential = credentialBySlot.get(slot!);
      return credential === undefined ? reference : `{{${open}credentials.${credential}${fields}${close}}}`;
    });
  };
  return copyWith(flow, stampText) as Record<string, unknown>;
}

function copyWith(value: unknown, stampText: (text: string) => unknown): unknown {
  if (typeof value === 'string') return stampText(value);
  if (Array.isArray(value)) return value.map((item) => copyWith(item, stampText));
  // fromEntries defines properties: a `__proto__` key stays a key instead of setting a prototype.
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copyWith(item, stampText)]));
  return value;
}

/** Cross-realm (vm contexts, jest): the prototype is null or some realm's Object.prototype. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}
