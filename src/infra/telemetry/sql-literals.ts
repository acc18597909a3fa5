/**
 * SQL text with every literal value replaced by `?`, for traces: MikroORM sends statements with
 * their values inlined (tenant and package ids, author emails, readmes), and a trace store is not a
 * place for them. What stays is the statement's shape, which is what a trace is read for.
 *
 * Replaced: quoted strings (`'…'` with `''` inside, `E'…'` with backslash escapes, dollar-quoted
 * `$tag$…$tag$`) and numbers that stand alone. Kept: identifiers (`"…"`, `t0`, `v1_2`),
 * placeholders (`$1`), keywords and casts (`::jsonb`).
 */
export function maskSqlLiterals(sql: string): string {
  // One pass, left to right, so that what is inside one token is never read as another.
  return sql.replace(TOKENS, (token, identifier?: string) => (identifier !== undefined ? token : '?'));
}

const TOKENS = new RegExp(
  [
    /("(?:[^"]|"")*")/.source, // a quoted identifier: kept (the one capture group)
    String.raw`\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?\$\2\$`, // dollar-quoted (\2: its tag)
    /(?<![\w$])[Ee]'(?:[^'\\]|\\.|'')*'/.source, // E'…' with backslash escapes
    /'(?:[^']|'')*'/.source, // '…'
    /(?<![\w$.])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?!\w)/.source, // a number standing alone
  ].join('|'),
  'g',
);
