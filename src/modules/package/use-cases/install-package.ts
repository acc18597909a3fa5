import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { BadUserInputError } from '../../../common/errors';
import { resolveParameterValues, stampFlow, validateBindings } from '../../flow/install-values';
import type { Requirements } from '../../flow/requirements.types';
import { parseInput } from '../package.validation';
import { requirementsOf } from '../version-requirements';
import type { Caller } from '../../../common/caller';
import type { Em } from '../../../infra/db/database';
import { accessFor } from '../../access/scope';
import { archivedFlow } from '../archived-flow';
import type { CatalogDeps, TenantOption } from '../catalog';
import { toPackageView } from '../package.view';
import { assertPackageAndVersionRef, packageNotFound, versionNotFound } from '../package-ref';
import { assertNotQuarantined } from '../quarantine';
import { assertServable } from '../unreleased';
import { channelNotFound, channelOption, STABLE } from '../channels';

type InstallValue = string | number | boolean;

export interface CredentialBinding {
  slot: string;
  credential: string;
}

export interface InstallResult {
  flow: Record<string, unknown>;
  /** The lineage a copy keeps to ask `catalogUpdates` later: tenant, package, version, sha256. */
  metadata: {
    tenantId: string;
    packageId: string;
    name: string;
    version: string;
    sha256: string;
    authorEmail: string | null;
    /** The release channel installed from (what `catalogUpdates` is to follow), null when none was named. */
    channel: string | null;
    /** Set when the installed version is deprecated: it installs, and says why it should not. */
    deprecation: { reason: string | null } | null;
    /** Only for an install given values: the parameter values stamped in (defaults included), so an upgrade can apply them again. */
    parameters?: Record<string, InstallValue>;
    /** Only for an install given values: the credential bindings applied. */
    credentialBindings?: CredentialBinding[];
  };
}

/** What an install may give besides the version: parameter values and credential bindings. */
export interface InstallValues {
  parameters?: unknown;
  credentialBindings?: unknown;
}

const bindingsSchema = z.array(z.strictObject({ slot: z.string(), credential: z.string() })).max(1_000);

/**
 * A fresh copy of a version's flow (default: the package's default version; with `channel`, that
 * channel's version, NOT_FOUND when the package has no such channel), audited. A withdrawn
 * version is never served (VERSION_WITHDRAWN); a package with nothing installable has no default.
 */
export async function installPackage(
  deps: CatalogDeps,
  caller: Caller,
  packageId: string,
  options: TenantOption & InstallValues & { version?: string | null; channel?: string | null } = {},
): Promise<InstallResult> {
  const { db, packages, audit } = deps;
  const access = accessFor(caller);
  access.assert('package:install');
  const tenantId = access.actingTenant(options.tenantId);
  assertPackageAndVersionRef(packageId, options.version);
  const withValues = options.parameters != null || options.credentialBindings != null;
  const bindings = parseInput(bindingsSchema, options.credentialBindings ?? [], 'Invalid credential bindings');
  const channel = channelOption(options);
  const channelVersion = async (em: Em, packageUuid: string, name: string): Promise<string> => {
    const named = await packages.findChannel(em, packageUuid, name);
    if (!named) throw channelNotFound(packageId, name);
    return named.version;
  };
  const found = await db.run(async (em) => {
    const pkg = await packages.findVisible(em, access.rows, tenantId, packageId);
    if (!pkg) return null;
    const wanted = channel !== null && channel !== STABLE ? await channelVersion(em, pkg.id, channel) : (options.version ?? pkg.defaultVersion);
    if (!wanted) return null;
    const version = await packages.findVersion(em, pkg.id, wanted);
    return version ? { pkg, version } : null;
  });
  if (!found) throw options.version ? versionNotFound(packageId, options.version) : packageNotFound(packageId);
  const { pkg, version } = found;
  assertNotQuarantined(access, pkg);
  assertServable(access, pkg, version);

  // Values are checked against what this version declares, before anything is read or counted.
  const values = withValues ? installValues(requirementsOf(version), options.parameters ?? {}, bindings) : null;
  const archived = await archivedFlow(deps, version);
  const flowName = typeof archived.name === 'string' && archived.name.trim() !== '' ? archived.name : pkg.name;
  // The counts and their audit row in one statement: none moves without the others, and no
  // BEGIN/COMMIT round trips are needed for that.
  await db.write((em) =>
    audit.record(
      em,
      caller,
      { tenantId: pkg.tenantId, packageUuid: pkg.id, packageId: pkg.packageId, version: version.version, action: 'install', changes: {}, at: new Date() },
      packages.installCountsSql(pkg.id, version.id),
    ),
  );
  const view = toPackageView(access, pkg);
  const copy = { ...archived, id: randomUUID(), name: `Copy of ${flowName}` };
  return {
    flow: values ? stampFlow(copy, values.parameters, bindings) : copy,
    metadata: {
      tenantId: view.tenantId,
      packageId: view.packageId,
      name: view.name,
      version: version.version,
      sha256: version.sha256,
      authorEmail: view.authorEmail,
      deprecation: version.status === 'deprecated' ? { reason: version.statusReason } : null,
      channel,
      ...(values ? { parameters: values.parameters, credentialBindings: bindings } : {}),
    },
  };
}

/** The parameter values to stamp in (defaults filled in); every problem with them or the bindings refuses the install. */
function installValues(requirements: Requirements, given: unknown, bindings: CredentialBinding[]): { parameters: Record<string, InstallValue> } {
  const resolved = resolveParameterValues(requirements.parameters, given);
  const problems = [...resolved.problems, ...validateBindings(requirements.credentials, bindings)];
  if (problems.length > 0) throw new BadUserInputError('Invalid install values', problems);
  return { parameters: resolved.values };
}
