import { isInstallable, type VersionStatus } from './version-status';
import { compareVersions } from './versioning';

/** A version as the default-version rule weighs it: `inStable` false when it never joined `stable`. */
export interface StableCandidate {
  version: string;
  status: VersionStatus;
  /** Whether the version joined `stable` (published to it, or promoted); absent means it did. */
  inStable?: boolean;
}

/**
 * A package's default version (what `version` shows and a plain install gets; the `stable`
 * channel): the version `stable` was set to by hand (`pin`) while it is installable, else the
 * highest installable (active or deprecated) release among the versions that joined `stable`,
 * else the highest such prerelease, else null (the package then has nothing to install). A
 * release candidate published after `1.4.0` therefore does not become everyone's install, and
 * neither does a version published to another channel. The same rule in SQL is `defaultVersionSql`.
 */
export function defaultVersion(versions: readonly StableCandidate[], pin: string | null = null): string | null {
  if (pin !== null && versions.some((row) => row.version === pin && isInstallable(row.status))) return pin;
  let best: string | null = null;
  for (const { version, status, inStable } of versions) {
    if (isInstallable(status) && inStable !== false && (best === null || defaultRank(version, best) > 0)) best = version;
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
 * (catalog_package_id, version) finds them) and sorts those few. `pinSql`, when given, is the SQL
 * expression of the package's pin (`p.stable_pin`): that version wins while it is installable.
 * Rows need `in_stable boolean` beside `status` and `version_sort`.
 */
export function defaultVersionSql(packageIdSql: string, alias = 'dv', pinSql: string | null = null): string {
  const v = identifier(alias);
  const rule =
    `(select ${v}.version from catalog_package_version ${v}` +
    ` where ${v}.catalog_package_id = ${packageIdSql} and ${installableVersionSql(v)} and ${v}.in_stable` +
    ` order by ${defaultVersionOrderSql(v)} limit 1)`;
  if (pinSql === null) return rule;
  const pin = identifier(`${alias}_pin`);
  return (
    `coalesce((select ${pin}.version from catalog_package_version ${pin}` +
    ` where ${pin}.catalog_package_id = ${packageIdSql} and ${pin}.version = ${pinSql} and ${installableVersionSql(pin)}), ${rule})`
  );
}

function identifier(alias: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(alias)) throw new Error(`Not a plain SQL alias: ${JSON.stringify(alias)}`);
  return alias;
}
