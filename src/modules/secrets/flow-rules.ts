import { holdsPrivateKey } from './private-keys';
import { isLiteralCredential } from './references';

/**
 * Detectors for what a flow holds that secretlint's preset does not recognise: credentials
 * under telling key names, in connection strings, URLs and authorization headers.
 * Each returns whether the text holds a literal credential; the order is from the most to the
 * least specific, and a text is reported under the first rule that fires.
 */
interface FlowRule {
  name: string;
  /** `key` is the property name the text sits under, when there is one. */
  detects(text: string, key: string | undefined): boolean;
}

/** A literal under a sensitive key counts from this length: shorter ones are too often words. */
export const MIN_SENSITIVE_VALUE_LENGTH = 8;

// Matched against the key lowercased without separators, so `x-api-key`, `API_KEY`, `apiKey`,
// `dbPassword` and `Proxy-Authorization` all match; `maxTokens` and `tokenUrl` do not.
const SENSITIVE_KEY =
  /(?:password|passwd|passphrase|pwd|secret|secrets|token|apikey|apikeys|accesskey|secretkey|privatekey|authorization|connectionstring|connstring)$/;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

const GOOGLE_API_KEY = /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/;
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/;
const BEARER = /\bBearer\s+([A-Za-z0-9._~+/-]{12,}=*)/gi;
const BASIC = /\bBasic\s+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])/gi;
const URL_USERINFO = /\b[a-z][a-z0-9+.-]{1,30}:\/\/([^\s:/@?#]*):([^\s/@?#]+)@[^\s/@]/gi;
const KEY_VALUE_PASSWORD = /(?:^|[;\s])(?:password|pwd|accountkey|sharedaccesskey)\s*=\s*("[^"]*"|'[^']*'|[^;\r\n]*)/gi;
const URL_QUERY_CREDENTIAL = /[?&](?:password|passwd|pwd|access_token|api_key|apikey|client_secret|token|sig)=([^&#\s]+)/gi;

function anyMatch(text: string, pattern: RegExp, isCredential: (match: RegExpExecArray) => boolean): boolean {
  for (const match of text.matchAll(pattern)) if (isCredential(match)) return true;
  return false;
}

function isBearerToken(token: string): boolean {
  return /[A-Za-z]/.test(token) && /\d/.test(token) && isLiteralCredential(token);
}

// `Basic` followed by base64 of `user:password`; prose like "Basic authentication" is not base64 of that.
function isBasicCredential(encoded: string): boolean {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  return /^[\x20-\x7e]+:[\x20-\x7e]+$/.test(decoded) && isLiteralCredential(decoded.slice(decoded.indexOf(':') + 1));
}

function unquote(value: string): string {
  const trimmed = value.trim();
  return /^(["']).*\1$/s.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
}

// A header line kept whole as the value (`Authorization: Bearer {{credentials.api}}`): the
// credential is what follows the header name and the scheme.
const HEADER_NAME_PREFIX = /^(?:proxy-)?authorization\s*:\s*/i;
const AUTH_SCHEME_PREFIX = /^(?:bearer|basic|token|bot|digest|apikey)\s+/i;

/** The part of a header-like value that would be the credential. */
export function credentialPart(value: string): string {
  return value.trim().replace(HEADER_NAME_PREFIX, '').replace(AUTH_SCHEME_PREFIX, '');
}

const FLOW_RULES: readonly FlowRule[] = [
  { name: 'flow/private-key', detects: (text) => holdsPrivateKey(text) },
  { name: 'flow/google-api-key', detects: (text) => GOOGLE_API_KEY.test(text) },
  { name: 'flow/jwt', detects: (text) => JWT.test(text) },
  {
    name: 'flow/authorization-header',
    detects: (text) => anyMatch(text, BEARER, (m) => isBearerToken(m[1]!)) || anyMatch(text, BASIC, (m) => isBasicCredential(m[1]!)),
  },
  {
    name: 'flow/connection-string-password',
    detects: (text) =>
      anyMatch(text, URL_USERINFO, (m) => m[2] !== m[1] && isLiteralCredential(decodeURIComponentSafe(m[2]!))) ||
      anyMatch(text, KEY_VALUE_PASSWORD, (m) => isLiteralCredential(unquote(m[1]!))),
  },
  {
    name: 'flow/url-query-credential',
    detects: (text) => anyMatch(text, URL_QUERY_CREDENTIAL, (m) => isLiteralCredential(decodeURIComponentSafe(m[1]!), 4)),
  },
  {
    name: 'flow/sensitive-key',
    detects: (text, key) => key !== undefined && isSensitiveKey(key) && isLiteralCredential(credentialPart(text), MIN_SENSITIVE_VALUE_LENGTH),
  },
];

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

// Every value rule above needs one of these in the text; testing for them first skips most
// strings of a flow with one pattern instead of seven. Keep it in step with the rules.
const VALUE_RULE_HINTS = /PRIVATE KEY|AIza|eyJ|bearer|basic|:\/\/|=/i;

// Formats that are credentials whatever they sit under, so they count in decoded base64 too.
const FORMAT_RULES = new Set(['flow/private-key', 'flow/google-api-key']);

/** The first flow rule for a key or token format (no key names, no prose) that fires on the text. */
export function firstFormatRule(text: string): string | undefined {
  return FLOW_RULES.find((rule) => FORMAT_RULES.has(rule.name) && rule.detects(text, undefined))?.name;
}

/** The first flow rule that recognises a credential in the text, if any. */
export function firstFlowRule(text: string, key: string | undefined): string | undefined {
  if (!VALUE_RULE_HINTS.test(text) && (key === undefined || !isSensitiveKey(key))) return undefined;
  return FLOW_RULES.find((rule) => rule.detects(text, key))?.name;
}
