import { BadUserInputError, CatalogError, NotFoundError } from '../../common/errors';
import type { Em } from '../../infra/db/database';
import type { PackageRecord } from './package.model';
import type { PackageRepository } from './package.repository';
import { versionNotFound } from './package-ref';
import { channelNameSchema } from './package.validation';
import { isInstallable } from './version-status';
import { parseVersion } from './versioning';

/** The channel every package with an installable version has: its default version. */
export const STABLE = 'stable';

/** A channel name (`channelNameSchema`), else BAD_USER_INPUT at `path`. */
export function parseChannelName(name: string, path = 'channel'): string {
  const parsed = channelNameSchema.safeParse(name);
  if (!parsed.success)
    throw new BadUserInputError(
      'Invalid channel name',
      parsed.error.issues.map((issue) => ({ path, message: issue.message })),
    );
  return parsed.data;
}

export const channelNotFound = (packageId: string, channel: string): NotFoundError => new NotFoundError(`Package ${packageId} has no channel ${channel}`);

/**
 * The channel an install or its pre-flight names, checked (null when none): a version and a
 * channel together are BAD_USER_INPUT (each names what to install).
 */
export function channelOption(options: { version?: string | null; channel?: string | null }): string | null {
  if (options.channel == null) return null;
  if (options.version != null) {
    throw new BadUserInputError('Give a version or a channel, not both', [{ path: 'channel', message: 'cannot be given with a version' }]);
  }
  return parseChannelName(options.channel);
}

/** What a channel pointed at before a move and after it (null: it did not exist, or nothing was installable). */
export interface ChannelMove {
  channel: string;
  from: string | null;
  to: string;
}

/**
 * Points a channel of a locked package at one of its versions, inside the caller's package
 * transaction (`changePackage`; approvals call it too). The version must exist (NOT_FOUND) and
 * be installable (ILLEGAL_STATE: a channel never points at a withdrawn, staged or rejected
 * version). `stable` is the default version: the version joins `stable` and is pinned there
 * (a rollback to a lower one sticks until the next publish to `stable`, another set, or it stops
 * being installable), and `stable_updated_at/_by` record the move; another channel is created on
 * first use or moved. Writes no audit row: the caller records its own action.
 */
export async function moveChannel(
  packages: PackageRepository,
  em: Em,
  pkg: PackageRecord,
  move: { channel: string; version: string; by: string; at: Date },
): Promise<ChannelMove> {
  const { channel, by, at } = move;
  const found = parseVersion(move.version) === move.version ? await packages.findVersion(em, pkg.id, move.version) : null;
  if (!found) throw versionNotFound(pkg.packageId, move.version);
  if (!isInstallable(found.status)) {
    throw new CatalogError('ILLEGAL_STATE', `Version ${found.version} is ${found.status}: a channel points at installable versions only`);
  }
  if (channel === STABLE) {
    await packages.setStablePin(em, pkg.id, { versionId: found.id, version: found.version });
    await packages.refreshDefaultVersion(em, pkg.id);
    await packages.stampStable(em, pkg.id, { by, at });
    return { channel, from: pkg.defaultVersion, to: found.version };
  }
  const existing = await packages.findChannel(em, pkg.id, channel);
  await packages.upsertChannel(em, pkg.id, { name: channel, version: found.version, by, at });
  return { channel, from: existing?.version ?? null, to: found.version };
}
