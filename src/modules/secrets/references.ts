/**
 * What counts as a reference to a credential kept elsewhere, and what is an obvious placeholder:
 * both are safe to share, so the flow rules never report them.
 */

// Template expressions of the editors and runtimes flows come from: `{{credentials.openai}}`,
// n8n's `{{ $env.X }}`, GitHub's `${{ secrets.X }}`, shell and JavaScript `${ENV_VAR}`.
const TEMPLATE_EXPRESSIONS = /\$\{\{[^}]{0,200}\}\}|\{\{[^}]{0,200}\}\}|\$\{[^}]{0,200}\}/g;

// Whole values that name a secret rather than hold it.
const NAMED_REFERENCES = [
  // A `$` name is a variable only in the shapes variables take: `$OPENAI_KEY`, `$home`, and paths
  // like `$env.OPENAI_KEY`, `$env:OPENAI_KEY`, `$json.body.token`. `$Up3rS3cret` (mixed case or
  // digits, no path) is a password that happens to start with `$`.
  /^\$[A-Z_][A-Z0-9_]*$/,
  /^\$[a-z_]+$/,
  /^\$[A-Za-z_]\w*(?:[.:]\w+|\[[^\]]{1,100}\])+$/,
  /^process\.env\.\w+$/,
  /^%\w+%$/, // %OPENAI_KEY% (Windows)
  /^(?:env|secret|secrets|vault|credential|credentials|keyvault):[\w./-]+$/i,
  /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/, // OPENAI_API_KEY: an environment variable's name
];

// Only for values that are not structured (no `;` pairs, no URL), where a host like
// `db.example.com` says nothing about the password beside it.
const PLACEHOLDER_WORDS = /your|example|placeholder|change-?_?me|replace|redacted|dummy|insert|xxxx|\*\*\*\*|\.\.\.|…|todo|fixme/i;
const PLACEHOLDER_VALUES = /^(?:password|passwd|pass|pwd|secret|token|apikey|api_key|none|null|undefined|empty|string|changeit)$/i;
const BRACKETED = /^(?:<[^>]*>|\[[^\]]*\])$/;
const ONE_REPEATED_CHARACTER = /^(.)\1*$/s;

/** The value with every template expression removed, trimmed, without a leading n8n `=`. */
function literalPart(value: string): string {
  return value.replace(TEMPLATE_EXPRESSIONS, '').trim().replace(/^=\s*/, '');
}

function isNamedReference(value: string): boolean {
  const trimmed = value.trim();
  return NAMED_REFERENCES.some((pattern) => pattern.test(trimmed));
}

function isPlaceholder(value: string): boolean {
  const trimmed = value.trim();
  return (
    trimmed === '' ||
    BRACKETED.test(trimmed) ||
    ONE_REPEATED_CHARACTER.test(trimmed) ||
    PLACEHOLDER_VALUES.test(trimmed) ||
    (!/;|:\/\//.test(trimmed) && PLACEHOLDER_WORDS.test(trimmed))
  );
}

/** A credential written out, as opposed to a reference, a placeholder or nothing at all. */
export function isLiteralCredential(value: string, minLength = 1): boolean {
  if (isNamedReference(value)) return false;
  const literal = literalPart(value);
  return literal.length >= minLength && !isNamedReference(literal) && !isPlaceholder(literal);
}
