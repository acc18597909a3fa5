/**
 * express.json's `verify` hook: a body that is not valid UTF-8 is refused (415) instead of being
 * decoded with replacement characters and stored. The `type` is what src/http/errors.ts maps.
 */
export function requireUtf8Body(_req: unknown, _res: unknown, body: Buffer): void {
  try {
    STRICT_UTF8.decode(body);
  } catch {
    throw Object.assign(new Error('The request body is not valid UTF-8'), { type: 'entity.verify.failed', status: 415 });
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
