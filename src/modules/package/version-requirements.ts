import type { Requirements } from '../flow/requirements.types';
import type { VersionRecord } from './package.model';

/**
 * What a version needs where it is installed. Versions published before requirements were derived
 * have none stored: for them, what is known is their node types (without versions or node ids); they declare no
 * parameters and no runtime, and their credential references were never collected.
 */
export function requirementsOf(version: Pick<VersionRecord, 'requirements' | 'nodeTypes'>): Requirements {
  if (version.requirements) return version.requirements;
  return { nodeTypes: version.nodeTypes.map((type) => ({ type, minVersion: null, nodeIds: [] })), credentials: [], parameters: [], hosts: [], runtime: null };
}
