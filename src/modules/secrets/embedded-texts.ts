import { credentialPart, isSensitiveKey, MIN_SENSITIVE_VALUE_LENGTH } from './flow-rules';
import { collectStrings } from './json-strings';
import { isLiteralCredential } from './references';

/**
 * The texts hidden inside one string: what it says once URL-decoded, once a base64 run is
 * decoded, once it is parsed as the JSON document it holds, once JavaScript joins its string
 * literals; and the `name: value` / `NAME=value` pairs of the .env, YAML, shell or code it holds.
 * A finding in any of them is reported at the string's own pointer.
 */
interface EmbeddedText {
  text: string;
  /** The name the text sits under inside its document, for the key-based rules. */
  key?: string;
  /** `known-formats`: only key and token formats, not key names (base64 of ordinary text is not refused for the words it spells). */
  rules: 'all' | 'known-formats';
}

/** Decoding stops here: base64 of URL-encoded JSON is found; deeper nesting is not a shape flows take. */
const MAX_DEPTH = 3;
/** A document larger than this is not parsed (the flow's own size limit is 1 MiB). */
const MAX_DOCUMENT_LENGTH = 1 << 20;

const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;
// The shortest known format worth decoding (a 36-character token) is 48 characters of base64.
// The lookbehind starts a match only where a run starts (4x faster on a long readme of words).
const BASE64_RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32,}={0,2}/g;
const PRINTABLE = /^[\t\n\r\x20-\x7e]+$/;
const JS_STRING_JOIN = /(['"`])\s*\+\s*\1/g;

export function embeddedTexts(text: string, depth = 0): EmbeddedText[] {
  if (depth >= MAX_DEPTH) return [];
  const found: EmbeddedText[] = [...namedValues(text)];
  const decoded = [urlDecoded(text), jsJoined(text)].filter((candidate): candidate is string => candidate !== undefined && candidate !== text);
  for (const candidate of decoded) found.push({ text: candidate, rules: 'all' }, ...embeddedTexts(candidate, depth + 1));
  for (const candidate of base64Decoded(text)) {
    found.push({ text: candidate, rules: 'known-formats' });
    for (const inner of embeddedTexts(candidate, depth + 1)) found.push({ ...inner, rules: 'known-formats' });
  }
  for (const member of jsonDocumentStrings(text)) found.push(member, ...embeddedTexts(member.text, depth + 1));
  return found;
}

// Only the words holding escapes are decoded: a long readme with one `%20` is not scanned twice.
// The lookbehind starts a match only where a word starts, so the search stays linear.
const URL_ENCODED_WORD = /(?<!\S)\S*%[0-9A-Fa-f]{2}\S*/g;

function urlDecoded(text: string): string | undefined {
  if (!PERCENT_ESCAPE.test(text)) return undefined;
  const words = [...text.matchAll(URL_ENCODED_WORD)].map(([word]) => decodedWord(word)).filter((word) => word !== undefined);
  return words.length > 0 ? words.join('\n') : undefined;
}

function decodedWord(word: string): string | undefined {
  try {
    return decodeURIComponent(word);
  } catch {
    // A lone `%` or a broken sequence elsewhere: decode the escapes that are valid on their own.
    return word.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

// `'ghp_abc' + 'def'` in a code node is one token.
function jsJoined(text: string): string | undefined {
  return text.includes('+') ? text.replace(JS_STRING_JOIN, '') : undefined;
}

/** Each long base64 run that decodes to text (binary, such as images and random tokens, is skipped). */
function base64Decoded(text: string): string[] {
  const decoded: string[] = [];
  if (text.length < 32) return decoded;
  for (const [run] of text.matchAll(BASE64_RUN)) {
    const candidate = Buffer.from(run, 'base64').toString('latin1');
    if (candidate.length >= 16 && PRINTABLE.test(candidate)) decoded.push(candidate);
  }
  return decoded;
}

function jsonDocumentStrings(text: string): EmbeddedText[] {
  if (!/^\s*[[{]/.test(text)) return [];
  const trimmed = text.trim();
  if (trimmed.length > MAX_DOCUMENT_LENGTH || !/^(?:\{[\s\S]*\}|\[[\s\S]*\])$/.test(trimmed)) return [];
  let document: unknown;
  try {
    document = JSON.parse(trimmed);
  } catch {
    return []; // not JSON: its pairs are found as text
  }
  return collectStrings(document).map(({ text: member, key }) => ({ text: member, ...(key !== undefined && { key }), rules: 'all' as const }));
}

// `NAME=value` (.env, shell, `--flag=value`), `name: value` (YAML, headers), `const name = 'value'`
// (code), `"name": "value"` (JSON-like text). An unquoted value runs to the end of its line or to a
// delimiter: a sentence after `Password:` is prose, not a password.
const NAMED_VALUE =
  /(?:^|[\s{,;(['"-])["']?([A-Za-z_][\w.-]{0,63})["']?[ \t]*[:=][ \t]*(?:"([^"\n]*)"|'([^'\n]*)'|`([^`\n]*)`|((?:(?:bearer|basic|token|bot|apikey)\s+)?[^\s'"`,;]+)(?=[ \t]*(?:$|[,;})'"#]|\/\/)))/gim;
// `curl -u user:password`, `--user user:password`.
const SHELL_USER_PASSWORD = /(?:^|\s)(?:-u|--user)[\s=]+['"]?[^\s:'"]+:([^\s'"]+)/g;
// Cheap test before the pair pattern: a sensitive word followed by `:` or `=`, or a `-u` flag.
const NAMED_VALUE_HINT = /(?:pass|pwd|secret|token|key|auth|credential)[\w.-]*["']?[ \t]*[:=]|(?:^|\s)(?:-u|--user)[\s=]/im;

function namedValues(text: string): EmbeddedText[] {
  if (!NAMED_VALUE_HINT.test(text)) return [];
  const found: EmbeddedText[] = [];
  for (const match of text.matchAll(NAMED_VALUE)) {
    const [, name, ...values] = match;
    const value = values.find((v) => v !== undefined)!;
    if (isSensitiveKey(name!) && isEmbeddedCredential(value)) found.push({ text: value, key: name!, rules: 'all' });
  }
  for (const match of text.matchAll(SHELL_USER_PASSWORD)) {
    if (isEmbeddedCredential(match[1]!)) found.push({ text: match[1]!, key: 'password', rules: 'all' });
  }
  return found;
}

// Code reads credentials from somewhere: `process.env.API_KEY`, `req.headers.authorization`, `getSecret()`.
const CODE_EXPRESSION = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[[^\]]*\]|\([^)]*\))+$/;

/**
 * Stricter than a value under a JSON key, because text is mostly prose and code: one word with a
 * digit or a symbol (or 20 characters long), not a variable, an expression, a reference or a placeholder.
 */
function isEmbeddedCredential(raw: string): boolean {
  const value = credentialPart(raw);
  if (/\s/.test(value) || CODE_EXPRESSION.test(value)) return false;
  if (!/[^A-Za-z]/.test(value) && value.length < 20) return false; // `required`, `apiKeyFromVault`
  return isLiteralCredential(value, MIN_SENSITIVE_VALUE_LENGTH);
}
