import fc from 'fast-check';
import semver from 'semver';
import { strictVersion } from '../../../test/support/version-arbitraries';
import { versionSortKey } from './version-sort-key';

const byKey = (a: string, b: string) => {
  const [x, y] = [versionSortKey(a), versionSortKey(b)];
  return x < y ? -1 : x > y ? 1 : 0;
};

describe('versionSortKey', () => {
  it.each([
    ['1.10.0-rc.2', '01:1.02:10.01:0-src!i01:2'],
    ['1.10.0', '01:1.02:10.01:0~'],
    ['0.0.0-alpha.beta.1', '01:0.01:0.01:0-salpha!sbeta!i01:1'],
  ])('%s → %s', (v, key) => {
    expect(versionSortKey(v)).toBe(key);
  });

  it('sorts the examples of semver 2.0.0 §11 in their order', () => {
    const ordered = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '2.0.0',
      '2.1.0',
      '2.1.1',
    ];
    expect([...ordered].reverse().sort(byKey)).toEqual(ordered);
  });

  it('refuses what is not a stored version', () => {
    expect(() => versionSortKey('v1.0.0')).toThrow('Not a valid version');
  });

  it('orders any two versions as semver.compare does, and only equal versions share a key', () => {
    fc.assert(
      fc.property(strictVersion, strictVersion, (a, b) => {
        expect(byKey(a, b)).toBe(semver.compare(a, b));
        expect(versionSortKey(a) === versionSortKey(b)).toBe(a === b);
      }),
      { numRuns: 3000 },
    );
  });

  it('sorts lists of versions as semver does, with printable ASCII keys (byte order = string order)', () => {
    fc.assert(
      fc.property(fc.array(strictVersion, { maxLength: 30 }), (versions) => {
        expect([...versions].sort(byKey)).toEqual([...versions].sort(semver.compare));
        for (const v of versions) expect(versionSortKey(v)).toMatch(/^[!-~]+$/);
      }),
      { numRuns: 1000 },
    );
  });

  it('compares numeric identifiers beyond 2^53 exactly, where semver cannot', () => {
    const huge = fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String);
    fc.assert(
      fc.property(huge, huge, (a, b) => {
        const exact = BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
        expect(byKey(`1.0.0-${a}`, `1.0.0-${b}`)).toBe(exact);
        expect(byKey(`1.0.0-x.${a}`, `1.0.0-x.${b}.0`)).toBe(exact === 0 ? -1 : exact);
      }),
      { numRuns: 1000 },
    );
    expect(semver.compare('1.0.0-9007199254740993', '1.0.0-9007199254740992')).toBe(0);
    expect(byKey('1.0.0-9007199254740993', '1.0.0-9007199254740992')).toBe(1);
  });

  it('stays within 161 characters: 64 + 9 for the release numbers + 1 + 3 for each of at most 29 numeric identifiers', () => {
    const longest = `0.0.0-${Array(28).fill('0').join('.')}.10`;
    expect(longest).toHaveLength(64);
    expect(versionSortKey(longest)).toHaveLength(161);
    expect(versionSortKey(`${'9'.repeat(15)}.${'9'.repeat(15)}.${'9'.repeat(15)}`)).toHaveLength(57);
  });
});
