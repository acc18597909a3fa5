import { parseVersion } from './versioning';

/**
 * A text key whose byte order is semantic-version precedence (semver 2.0.0 §11), so that
 * `order by version_sort collate "C"` in PostgreSQL sorts versions exactly, with no semver
 * extension and no per-row function. Stored beside `version` at publish.
 *
 * Layout (printable ASCII only, so byte order = JavaScript string order):
 * - every number is `NN:digits`, NN its digit count on two digits: a longer number sorts higher,
 *   numbers of one length sort by their digits (semver forbids leading zeros);
 * - `major.minor.patch` as three numbers joined by `.`;
 * - then `~` for a release, or `-` and the prerelease identifiers for a prerelease: `-` sorts
 *   below `~`, so `1.0.0-rc.1` < `1.0.0`;
 * - a numeric identifier is `i` and its number, an alphanumeric one `s`, its text and `!`:
 *   `i` < `s` puts numeric identifiers first; `!` sorts below every character an identifier may
 *   hold (`0-9 A-Z a-z -`), so `alpha` < `alpha1` and `alpha` < `alpha-1`; a key that ends sorts
 *   below one that goes on, so `1.0.0-rc` < `1.0.0-rc.1`.
 * Example: `1.10.0-rc.2` → `01:1.02:10.01:0-src!i01:2`; `1.10.0` → `01:1.02:10.01:0~`.
 *
 * Numeric identifiers are compared exactly at any size. (The semver package compares those above
 * 2^53 as floating point numbers, so `1.0.0-9007199254740993` and `…992` are equal to it.)
 */
export function versionSortKey(version: string): string {
  // Stored versions were validated at publish (digit counts then fit in two digits).
  if (parseVersion(version) === null) throw new Error(`Not a valid version: ${JSON.stringify(version)}`);
  const [core, prerelease] = splitOnce(version, '-');
  const release = core.split('.').map(numberKey).join('.');
  if (prerelease === undefined) return `${release}~`;
  return `${release}-${prerelease.split('.').map(identifierKey).join('')}`;
}

function identifierKey(identifier: string): string {
  return /^\d+$/.test(identifier) ? `i${numberKey(identifier)}` : `s${identifier}!`;
}

function numberKey(digits: string): string {
  return `${String(digits.length).padStart(2, '0')}:${digits}`;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
