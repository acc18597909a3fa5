import type { Caller } from '../../../common/caller';
import { CatalogError } from '../../../common/errors';
import { accessFor } from '../../access/scope';
import type { CatalogDeps, TenantOption } from '../catalog';
import { channelNotFound, moveChannel, parseChannelName, STABLE } from '../channels';
import { toPackageView, type PackageView } from '../package.view';
import { changePackage, prepareChange } from './manage-package';

/**
 * Points a channel at a version (docs/API.md, "Release channels"): `stable` moves the default
 * install (a rollback to a lower version included), another channel is created or moved. The
 * author, tenant admins and super admins; one `channel_set` audit row.
 */
export async function setChannel(
  deps: CatalogDeps,
  caller: Caller,
  packageId: string,
  input: TenantOption & { channel: string; version: string },
): Promise<PackageView> {
  const tenantId = prepareChange(caller, 'package:setChannel', input.tenantId);
  const channel = parseChannelName(input.channel);
  const changed = await changePackage(deps, caller, 'package:setChannel', { packageId, tenantId }, async (em, pkg, now) => {
    const move = await moveChannel(deps.packages, em, pkg, { channel, version: input.version, by: caller.userId, at: now });
    await deps.audit.record(em, caller, {
      tenantId: pkg.tenantId,
      packageUuid: pkg.id,
      packageId: pkg.packageId,
      version: move.to,
      action: 'channel_set',
      changes: move,
      at: now,
    });
    if (channel !== STABLE) return pkg;
    return { ...pkg, defaultVersion: move.to, stablePin: move.to, stableUpdatedAt: now, stableUpdatedBy: caller.userId };
  });
  return toPackageView(accessFor(caller), changed);
}

/** Removes a channel other than `stable` (which is the default version, and cannot go: ILLEGAL_STATE). */
export async function removeChannel(deps: CatalogDeps, caller: Caller, packageId: string, input: TenantOption & { channel: string }): Promise<PackageView> {
  const tenantId = prepareChange(caller, 'package:removeChannel', input.tenantId);
  const channel = parseChannelName(input.channel);
  const changed = await changePackage(deps, caller, 'package:removeChannel', { packageId, tenantId }, async (em, pkg, now) => {
    if (channel === STABLE) throw new CatalogError('ILLEGAL_STATE', 'The stable channel is the default version: it cannot be removed');
    const existing = await deps.packages.findChannel(em, pkg.id, channel);
    if (!existing) throw channelNotFound(packageId, channel);
    await deps.packages.deleteChannel(em, pkg.id, channel);
    await deps.audit.record(em, caller, {
      tenantId: pkg.tenantId,
      packageUuid: pkg.id,
      packageId: pkg.packageId,
      version: existing.version,
      action: 'channel_removed',
      changes: { channel, version: existing.version },
      at: now,
    });
    return pkg;
  });
  return toPackageView(accessFor(caller), changed);
}
