/**
 * Text at the publish limits, for tests of answer sizes: plain words (the secret guard passes
 * them, PostgreSQL's text search keeps few distinct ones), exactly `bytes` long in UTF-8.
 */
export function wordsOfBytes(bytes: number, seed = ''): string {
  const unit = `lorem ipsum ${seed} dolor sit amet `;
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}

export const README_MAX_BYTES = 256 * 1024;
export const CHANGELOG_MAX_BYTES = 64 * 1024;
