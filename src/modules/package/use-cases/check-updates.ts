import type { Caller } from '../../../common/caller';
import { ResponseTooLargeError } from '../../../common/errors';
import { accessFor } from '../../access/scope';
import type { CatalogDeps } from '../catalog';
import { toVersionView, type VersionView } from '../package.view';
import { checkUpdateInputs, shapeUpdate, type UpdateAnswer } from '../update-check';
import { versionSortKey } from '../version-sort-key';
import { isPackageSlug } from '../package-ref';
import { isUnreleased } from '../unreleased';
import { STABLE } from '../channels';

export interface InstalledInput {
  packageId: string;
  version: string;
  /** The package's tenant (from install's `metadata.tenantId`); default the caller's. */
  tenantId?: string | null;
  /** The channel the copy was installed from (install's `metadata.channel`); none (or `stable`): the default version. */
  channel?: string | null;
}

/** How many newer versions an answer lists per copy unless asked (`newerVersions(first:)`), and at most. */
export const DEFAULT_NEWER_VERSIONS = 10;
export const MAX_NEWER_VERSIONS = 100;

/** What the answer needs: the edge says what its selection asks for. */
export interface UpdateSelection {
  /** Newer versions per copy, 0 when none are selected (`updateAvailable` is answered anyway). */
  newerVersions: number;
  /** Whether any changelog of a newer version is selected. */
  changelogs: boolean;
}

/**
 * `catalogUpdates`: for up to 500 installed copies, whether a newer installable version exists,
 * in input order, from one SQL statement. A package the caller may not see answers like an
 * unknown one (no newer versions, `latestVersion` null), so nothing about it leaks; naming
 * another tenant needs no extra right for the same reason.
 * Memory is bounded by the selection: at most `newerVersions` newer versions per copy are read,
 * changelogs only when selected, and `RESPONSE_TOO_LARGE` when the changelogs asked for would
 * together pass the answer limit (measured by the statement before it reads any).
 */
export async function checkUpdates(
  { db, packages, maxResponseBytes }: CatalogDeps,
  caller: Caller,
  installed: readonly InstalledInput[],
  selection: UpdateSelection = { newerVersions: DEFAULT_NEWER_VERSIONS, changelogs: true },
): Promise<UpdateAnswer<VersionView>[]> {
  const access = accessFor(caller);
  access.assert('package:read');
  checkUpdateInputs(installed);
  const copies = installed.map((copy) => ({
    tenantId: copy.tenantId ?? caller.tenantId,
    packageId: copy.packageId,
    version: copy.version,
    sortKey: versionSortKey(copy.version),
    // `stable` is the default version: a copy following it is a copy following no channel.
    channel: copy.channel == null || copy.channel === STABLE ? null : copy.channel,
  }));
  // A package id that is not a slug names no package: it answers as an unknown one and never
  // reaches SQL (it may hold a NUL, which would fail the whole statement).
  // Identical copies are asked once, with how many there are (the changelog budget counts each).
  const keyOf = (copy: (typeof copies)[number]) => JSON.stringify([copy.tenantId, copy.packageId, copy.version, copy.channel]);
  const distinct = new Map<string, (typeof copies)[number] & { copies: number }>();
  for (const copy of copies.filter((each) => isPackageSlug(each.packageId))) {
    const seen = distinct.get(keyOf(copy));
    if (seen) seen.copies += 1;
    else distinct.set(keyOf(copy), { ...copy, copies: 1 });
  }
  const asked = [...distinct.values()];
  const newer = Math.min(Math.max(selection.newerVersions, 0), MAX_NEWER_VERSIONS);
  const read = { newer, changelogs: selection.changelogs && newer > 0, changelogBytes: maxResponseBytes };
  const found = await db.read((em) => packages.findVersionsForUpdates(em, access.rows, asked, read));
  if (found.changelogBytes > maxResponseBytes) throw new ResponseTooLargeError(found.changelogBytes, maxResponseBytes);
  const foundOf = new Map(
    asked.map((copy, index) => [
      keyOf(copy),
      { versions: found.versions[index] ?? null, pkg: found.packages[index] ?? null, following: found.follows[index] ?? undefined },
    ]),
  );
  return installed.map((copy, index) => {
    const { versions, pkg, following } = foundOf.get(keyOf(copies[index]!)) ?? { versions: null, pkg: null, following: undefined };
    const answer = shapeUpdate({ packageId: copy.packageId, installedVersion: copy.version }, versions, following);
    // A staged or rejected version is unknown to callers who may not know of it: its status too.
    const unknown = answer.installedStatus !== null && isUnreleased(answer.installedStatus) && !(pkg && access.may('package:readUnderReview', { pkg }));
    return {
      ...answer,
      installedStatus: unknown ? null : answer.installedStatus,
      newerVersions: answer.newerVersions.slice(0, newer).map(toVersionView),
      quarantined: pkg?.quarantineReason != null,
      quarantineReason: pkg?.quarantineReason != null && access.may('package:readQuarantineReason', { pkg }) ? pkg.quarantineReason : null,
    };
  });
}
