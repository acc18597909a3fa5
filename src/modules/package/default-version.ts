import { isInstallable, type VersionStatus } from './version-status';
import { compareVersions } from './versioning';

/**
 * A package's default version (what `version` shows and a plain install gets): the highest
 * installable (active or deprecated) release, else the highest installable prerelease, else null (the
 * package then has nothing to install). A release candidate published after `1.4.0` therefore
 * does not become everyone's install. The same rule in SQL is `defaultVersionSql`.
 */
export function defaultVersion(versions: readonly { version: string; status: VersionStatus }[]): string | null {
  let best: string | null = null;
  for (const { version, status } of versions) {
    if (isInstallable(status) && (best === null || defaultRank(version, best) > 0)) best = version;
  }
  return best;
}

/** A strict version (no build metadata) is a prerelease exactly when it has a `-`. */
export function isPrerelease(version: string): boolean {
  return version.includes('-');
}

/** Positive when `a` makes a better default than `b`: releases first, then higher. */
function defaultRank(a: string, b: string): number {
  if (isPrerelease(a) !== isPrerelease(b)) return isPrerelease(a) ? -1 : 1;
  return compareVersions(a, b);
}

/**
 * The rule as SQL, over `catalog_package_version` rows with `status text` (`active` and
 * `deprecated` are installable) and `version_sort text` (`versionSortKey(version)`).
 * `alias` names the table in the query; it is code, never input.
 */
export function installableVersionSql(alias: string): string {
  return `${identifier(alias)}.status in ('active', 'deprecated')`;
}

/** ORDER BY terms that put the default version first among a package's installable versions. */
export function defaultVersionOrderSql(alias: string): string {
  const v = identifier(alias);
  return `strpos(${v}.version, '-') = 0 desc, ${v}.version_sort collate "C" desc`;
}

/**
 * A scalar subquery: the default version of the package whose id is the SQL expression
 * `packageIdSql` (e.g. `p.id`), or null. It reads that package's rows only (the unique index on
 * (catalog_package_id, version) finds them) and sorts those few.
 */
export function defaultVersionSql(packageIdSql: string, alias = 'dv'): string {
  const v = identifier(alias);
  return (
    `(select ${v}.version from catalog_package_version ${v}` +
    ` where ${v}.catalog_package_id = ${packageIdSql} and ${installableVersionSql(v)}` +
    ` order by ${defaultVersionOrderSql(v)} limit 1)`
  );
}

function identifier(alias: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(alias)) throw new Error(`Not a plain SQL alias: ${JSON.stringify(alias)}`);
  return alias;
}
