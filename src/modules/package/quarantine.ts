import { PackageQuarantinedError } from '../../common/errors';
import type { Scope } from '../access/scope';
import type { PackageRecord } from './package.model';

/**
 * A quarantined package takes no install, publish or change from anyone but its tenant's admins
 * (and super admins). Every write path and install calls this after its access check.
 */
export function assertNotQuarantined(access: Scope, pkg: PackageRecord): void {
  if (pkg.quarantine !== null && !access.may('package:actOnQuarantined', { pkg })) throw new PackageQuarantinedError(pkg.packageId);
}
