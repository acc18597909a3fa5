import fc from 'fast-check';
import { parseVersion } from '../../src/modules/package/versioning';
import { VERSION_STATUSES } from '../../src/modules/package/version-status';

/** Numbers semver compares exactly (below 2^53), small ones often so that versions tie. */
const safeNumber = fc.oneof(fc.nat({ max: 12 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })).map(String);
const alphanumeric = fc.oneof(
  fc.constantFrom('a', 'b', 'rc', 'alpha', 'beta', 'A', 'Z', '-', 'a-1', 'alpha-', '1a', '0a', 'rc1', 'x0', '--'),
  fc.stringMatching(/^[0-9A-Za-z-]{0,6}[A-Za-z-][0-9A-Za-z-]{0,6}$/),
);

/** Any stored version: strict semver, at most 64 characters, tricky prerelease identifiers. */
export const strictVersion = fc
  .tuple(safeNumber, safeNumber, safeNumber, fc.option(fc.array(fc.oneof(safeNumber, alphanumeric), { minLength: 1, maxLength: 4 })))
  .map(([major, minor, patch, pre]) => `${major}.${minor}.${patch}${pre ? `-${pre.join('.')}` : ''}`)
  .filter((v) => parseVersion(v) !== null);

/** Versions from a small domain, so that releases and prereleases of one line meet. */
export const nearbyVersion = fc
  .tuple(
    fc.nat({ max: 3 }),
    fc.nat({ max: 2 }),
    fc.nat({ max: 11 }),
    fc.option(fc.constantFrom('rc.1', 'rc.2', 'rc.10', 'alpha', 'alpha.beta', 'beta.1', '0', '1a')),
  )
  .map(([major, minor, patch, pre]) => `${major}.${minor}.${patch}${pre === null ? '' : `-${pre}`}`);

/** The versions of one package, distinct, each in a random state. */
export const packageVersions = fc
  .uniqueArray(nearbyVersion, { maxLength: 12 })
  .chain((versions) => fc.tuple(...versions.map((version) => fc.constantFrom(...VERSION_STATUSES).map((status) => ({ version, status })))));
