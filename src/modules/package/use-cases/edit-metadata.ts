import type { Caller } from '../../../common/caller';
import { BadUserInputError } from '../../../common/errors';
import { accessFor } from '../../access/scope';
import { assertPublishHoldsNoSecrets } from '../../secrets/publish-refusal';
import type { CatalogDeps, TenantOption } from '../catalog';
import { METADATA_FIELDS, metadataInputSchema, parseInput } from '../package.validation';
import { toPackageView, type PackageView } from '../package.view';
import { changePackage, prepareChange } from './manage-package';

export interface MetadataEdit extends TenantOption {
  /** The new values: name, description, readme, tags (each optional; at least one). */
  metadata: unknown;
  /** The revision the edit was based on: when given and no longer current, REVISION_MISMATCH. */
  expectedRevision?: number | null;
}

/**
 * Changes a package's name, description, readme or tags without publishing a version (the
 * archives keep what they were published with). The new text goes through the same checks as a
 * publish's, the secret guard included, before the package is locked; under the lock, a stale
 * `expectedRevision` is refused with the current one, so two edits from the same revision never
 * both land. Author, tenant admins, super admins.
 */
export async function editMetadata(deps: CatalogDeps, caller: Caller, packageId: string, edit: MetadataEdit): Promise<PackageView> {
  const tenantId = prepareChange(caller, 'package:editMetadata', edit.tenantId);
  const metadata = parseInput(metadataInputSchema, edit.metadata, 'Invalid metadata');
  const expected = edit.expectedRevision ?? null;
  if (expected !== null && (!Number.isSafeInteger(expected) || expected < 0)) {
    throw new BadUserInputError('Invalid expected revision', [{ path: '$.expectedRevision', message: 'must be a revision: an integer from 0' }]);
  }
  await assertPublishHoldsNoSecrets(deps.secrets, deps.logger, tenantId, { flow: null, packageId, ...metadata });
  const fields = METADATA_FIELDS.filter((field) => metadata[field] !== undefined);
  const changed = await changePackage(deps, caller, 'package:editMetadata', { packageId, tenantId, expectedRevision: expected }, async (em, pkg, now) => {
    await deps.packages.updateMetadata(em, pkg.id, metadata);
    await deps.audit.record(em, caller, {
      tenantId: pkg.tenantId,
      packageUuid: pkg.id,
      packageId: pkg.packageId,
      version: pkg.defaultVersion,
      action: 'metadata',
      changes: { fields },
      at: now,
    });
    const set = Object.fromEntries(fields.map((field) => [field, metadata[field]]));
    return { ...pkg, ...set };
  });
  return toPackageView(accessFor(caller), changed);
}
