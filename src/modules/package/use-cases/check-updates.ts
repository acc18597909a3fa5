import type { Caller } from '../../../common/caller';
import { assertMayPerform } from '../../access/policy';
import type { CatalogDeps } from '../catalog';
import type { VersionRecord } from '../package.model';
import { packageIdSchema } from '../package.validation';
import { checkUpdateInputs, shapeUpdate, type UpdateAnswer } from '../update-check';
import { versionSortKey } from '../version-sort-key';

export interface InstalledInput {
  packageId: string;
  version: string;
  /** The package's tenant (from install's `metadata.tenantId`); default the caller's. */
  tenantId?: string | null;
}

/**
 * `catalogUpdates`: for up to 500 installed copies, whether a newer installable version exists,
 * in input order, from one SQL statement. A package the caller may not see answers like an
 * unknown one (no newer versions, `latestVersion` null), so nothing about it leaks; naming
 * another tenant needs no extra right for the same reason.
 */
export async function checkUpdates(
  { db, packages }: CatalogDeps,
  caller: Caller,
  installed: readonly InstalledInput[],
): Promise<UpdateAnswer<VersionRecord>[]> {
  assertMayPerform(caller, 'package:read');
  checkUpdateInputs(installed);
  const copies = installed.map((copy) => ({
    tenantId: copy.tenantId ?? caller.tenantId,
    packageId: copy.packageId,
    version: copy.version,
    sortKey: versionSortKey(copy.version),
  }));
  // A package id that is not a slug names no package: it answers as an unknown one and never
  // reaches SQL (it may hold a NUL, which would fail the whole statement).
  const asked = copies.filter((copy) => packageIdSchema.safeParse(copy.packageId).success);
  const found = await db.run((em) => packages.findVersionsForUpdates(em, caller, asked));
  const versionsOf = new Map(asked.map((copy, index) => [copy, found[index] ?? null]));
  return installed.map((copy, index) =>
    shapeUpdate({ packageId: copy.packageId, installedVersion: copy.version }, versionsOf.get(copies[index]!) ?? null),
  );
}
