import semver from 'semver';
import { BadUserInputError, VersionRegressionError } from '../../common/errors';

/** Fits the `version` columns (64 characters). */
export const MAX_VERSION_LENGTH = 64;

/**
 * A strict semantic version (`1.2.3`, `1.0.0-rc.1`) or null. Refused, although the semver package
 * would accept them: a leading `v` or `=`, surrounding spaces, and build metadata (`1.0.0+abc`),
 * which semver ignores when comparing, so `1.0.0+a` and `1.0.0+b` would be the same version
 * under two names (and `+` is awkward in a blob name).
 */
export function parseVersion(v: string): string | null {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_VERSION_LENGTH) return null;
  if (!/^\d/.test(v) || v.includes('+')) return null;
  const parsed = semver.parse(v);
  // Round-tripping rejects anything semver only accepted by normalizing it.
  return parsed && parsed.version === v ? parsed.version : null;
}

/** Semantic-version precedence: negative, zero or positive, like a sort comparator. */
export function compareVersions(a: string, b: string): number {
  return semver.compare(requireValid(a), requireValid(b));
}

/**
 * The version a publish gets (docs/API.md "Rules"):
 * - no version published yet, or `requested` above the latest: `requested`;
 * - `requested` equal to the latest: the next version after it (see `nextAfterConflict`);
 * - `requested` below the latest: `VersionRegressionError`.
 * An invalid `requested` is a `BadUserInputError` at `$.version`.
 */
export function resolvePublishVersion(requested: string, latest: string | null): { version: string; autoBumped: boolean } {
  const version = parseVersion(requested);
  if (version === null) {
    throw new BadUserInputError('Invalid version', [
      {
        path: '$.version',
        message: `"${requested}" is not a semantic version like 1.2.3 or 1.0.0-rc.1 (no "v", no build metadata, at most ${MAX_VERSION_LENGTH} characters)`,
      },
    ]);
  }
  if (latest === null) return { version, autoBumped: false };

  const order = compareVersions(version, latest);
  if (order > 0) return { version, autoBumped: false };
  if (order < 0) throw new VersionRegressionError(version, latest);
  return { version: nextAfterConflict(latest), autoBumped: true };
}

/**
 * The version right after `latest`, used when `latest` is republished and when a concurrent
 * publish took the version we were about to write. A release gets its patch bumped (`0.1.0` →
 * `0.1.1`). A prerelease gets its prerelease bumped instead (`1.0.0-rc.1` → `1.0.0-rc.2`,
 * `1.0.0-rc` → `1.0.0-rc.0`): the plain patch bump of semver would turn `1.0.0-rc.1` into the
 * release `1.0.0`, releasing something its author only meant to republish as a candidate.
 * The result is always strictly greater than `latest`.
 */
export function nextAfterConflict(latest: string): string {
  const current = requireValid(latest);
  let next: string | null;
  try {
    next = parseVersion(semver.inc(current, semver.prerelease(current) ? 'prerelease' : 'patch') ?? '');
  } catch {
    next = null; // a number past Number.MAX_SAFE_INTEGER
  }
  if (next === null) {
    throw new BadUserInputError('Cannot pick the next version', [
      { path: '$.version', message: `There is no version after ${latest} within ${MAX_VERSION_LENGTH} characters; publish a higher version explicitly` },
    ]);
  }
  return next;
}

/** Stored versions were validated when published; an invalid one is a bug, not user input. */
function requireValid(v: string): string {
  const version = parseVersion(v);
  if (version === null) throw new Error(`Not a valid version: ${JSON.stringify(v)}`);
  return version;
}

/**
 * The version a publish gets, and the republish base to store with it. Republishing the latest
 * version bumps its patch; so does republishing any version of the latest auto-bump chain (from
 * `republishBase` up to `latest`). Concurrent republishes of one version therefore all succeed,
 * whoever read the latest first, and the outcome does not depend on timing.
 */
export function planPublishVersion(requested: string, latest: string | null, republishBase: string | null): { version: string; republishBase: string | null } {
  if (latest !== null && isInRepublishChain(requested, latest, republishBase)) {
    return { version: nextAfterConflict(latest), republishBase };
  }
  const { version, autoBumped } = resolvePublishVersion(requested, latest);
  return { version, republishBase: autoBumped ? requested : null };
}

/** The republish base after `version` was published for a request of `requested`. */
export function republishBaseAfter(requested: string, version: string, latest: string | null, republishBase: string | null): string | null {
  if (version === requested) return null;
  return latest !== null && isInRepublishChain(requested, latest, republishBase) ? republishBase : requested;
}

function isInRepublishChain(requested: string, latest: string, republishBase: string | null): boolean {
  return republishBase !== null && compareVersions(republishBase, requested) <= 0 && compareVersions(requested, latest) <= 0;
}
