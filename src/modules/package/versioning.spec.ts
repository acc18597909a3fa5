import fc from 'fast-check';
import semver from 'semver';
import { BadUserInputError, VersionRegressionError } from '../../common/errors';
import {
  compareVersions,
  MAX_VERSION_LENGTH,
  nextAfterConflict,
  parseVersion,
  planPublishVersion,
  republishBaseAfter,
  resolvePublishVersion,
} from './versioning';

describe('parseVersion', () => {
  it.each(['0.1.0', '1.2.3', '10.20.30', '1.0.0-rc.1', '1.0.0-alpha.beta', '1.0.0-0', '0.0.0'])('accepts %s', (v) => {
    expect(parseVersion(v)).toBe(v);
  });

  it.each([
    '',
    'v1.0.0',
    '=1.0.0',
    ' 1.0.0',
    '1.0.0 ',
    '1.0',
    '1',
    '01.0.0',
    '1.0.0+build.1',
    '1.0.0-rc.1+b',
    'latest',
    '1.0.0-',
    '9007199254740992.0.0',
    `1.0.0-${'a'.repeat(MAX_VERSION_LENGTH)}`,
  ])('refuses %j', (v) => {
    expect(parseVersion(v)).toBeNull();
  });
});

describe('resolvePublishVersion', () => {
  it.each([
    ['0.1.0', null, '0.1.0', false],
    ['1.0.0-rc.1', null, '1.0.0-rc.1', false],
    ['0.2.0', '0.1.0', '0.2.0', false],
    ['1.0.0', '1.0.0-rc.3', '1.0.0', false],
    ['0.1.0', '0.1.0', '0.1.1', true],
    ['2.9.9', '2.9.9', '2.9.10', true],
    ['1.0.0-rc.1', '1.0.0-rc.1', '1.0.0-rc.2', true],
    ['1.0.0-rc', '1.0.0-rc', '1.0.0-rc.0', true],
    ['1.0.0-alpha.beta', '1.0.0-alpha.beta', '1.0.0-alpha.beta.0', true],
  ])('requested %s with latest %s publishes %s (auto-bumped: %s)', (requested, latest, version, autoBumped) => {
    expect(resolvePublishVersion(requested, latest)).toEqual({ version, autoBumped });
  });

  it.each([
    ['0.1.0', '0.1.1'],
    ['0.9.0', '0.10.0'],
    ['1.0.0-rc.1', '1.0.0'],
    ['1.0.0-rc.2', '1.0.0-rc.10'],
  ])('refuses %s when the latest is %s', (requested, latest) => {
    expect(() => resolvePublishVersion(requested, latest)).toThrow(VersionRegressionError);
    try {
      resolvePublishVersion(requested, latest);
    } catch (error) {
      expect((error as VersionRegressionError).extensions.code).toBe('VERSION_REGRESSION');
    }
  });

  it('refuses an invalid requested version as user input, at $.version', () => {
    for (const bad of ['v1.0.0', '1.0', '1.0.0+b']) {
      expect(() => resolvePublishVersion(bad, null)).toThrow(BadUserInputError);
      try {
        resolvePublishVersion(bad, '0.1.0');
      } catch (error) {
        expect((error as BadUserInputError).problems?.[0]?.path).toBe('$.version');
      }
    }
  });
});

describe('nextAfterConflict', () => {
  it.each([
    ['0.1.0', '0.1.1'],
    ['0.1.1', '0.1.2'],
    ['1.0.0-rc.1', '1.0.0-rc.2'],
  ])('after %s comes %s', (latest, next) => {
    expect(nextAfterConflict(latest)).toBe(next);
  });

  it('gives every one of a run of concurrent publishes its own, increasing version', () => {
    const seen = ['0.1.0'];
    for (let i = 0; i < 20; i++) seen.push(nextAfterConflict(seen[seen.length - 1]!));
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort(compareVersions)).toEqual(seen);
  });

  it('refuses to go past what fits in a version', () => {
    expect(() => nextAfterConflict(`1.0.0-${'a'.repeat(MAX_VERSION_LENGTH - 6)}`)).toThrow(BadUserInputError);
    expect(() => nextAfterConflict(`0.0.${Number.MAX_SAFE_INTEGER}`)).toThrow(BadUserInputError);
  });
});

describe('compareVersions', () => {
  it('orders by semantic-version precedence, not by text', () => {
    expect(['1.10.0', '1.2.0', '1.0.0', '1.0.0-rc.10', '1.0.0-rc.2'].sort(compareVersions)).toEqual(['1.0.0-rc.2', '1.0.0-rc.10', '1.0.0', '1.2.0', '1.10.0']);
  });

  it('throws on something that is not a version (stored data is trusted to be valid)', () => {
    expect(() => compareVersions('1.0.0', 'nope')).toThrow(Error);
  });
});

const prerelease = fc.oneof(
  fc.constant(undefined),
  fc
    .array(fc.oneof(fc.nat({ max: 20 }).map(String), fc.constantFrom('alpha', 'beta', 'rc', 'x-1')), { minLength: 1, maxLength: 3 })
    .map((ids) => ids.join('.')),
);
const version = fc
  .tuple(fc.nat({ max: 30 }), fc.nat({ max: 30 }), fc.nat({ max: 30 }), prerelease)
  .map(([major, minor, patch, pre]) => `${major}.${minor}.${patch}${pre === undefined ? '' : `-${pre}`}`);

describe('versioning properties', () => {
  const runs = { numRuns: 500 };

  it('every generated version is valid and parses to itself', () => {
    fc.assert(
      fc.property(version, (v) => parseVersion(v) === v),
      runs,
    );
  });

  it('never publishes below the latest; lower requests throw VERSION_REGRESSION', () => {
    fc.assert(
      fc.property(version, fc.option(version, { nil: null }), (requested, latest) => {
        if (latest !== null && semver.lt(requested, latest)) {
          expect(() => resolvePublishVersion(requested, latest)).toThrow(VersionRegressionError);
          return;
        }
        const { version: published } = resolvePublishVersion(requested, latest);
        expect(parseVersion(published)).toBe(published);
        if (latest !== null) expect(semver.gt(published, latest)).toBe(true);
      }),
      runs,
    );
  });

  it('republishing the latest gives a strictly greater version, auto-bumped', () => {
    fc.assert(
      fc.property(version, (latest) => {
        const result = resolvePublishVersion(latest, latest);
        expect(result.autoBumped).toBe(true);
        expect(compareVersions(result.version, latest)).toBeGreaterThan(0);
        // A republished release stays on its minor; a prerelease stays a prerelease of its release.
        const a = semver.parse(latest)!;
        const b = semver.parse(result.version)!;
        expect([b.major, b.minor]).toEqual([a.major, a.minor]);
        if (a.prerelease.length > 0) expect([b.patch, b.prerelease.length > 0]).toEqual([a.patch, true]);
      }),
      runs,
    );
  });

  it('a requested version above the latest is kept as is', () => {
    fc.assert(
      fc.property(version, version, (requested, latest) => {
        fc.pre(semver.gt(requested, latest));
        expect(resolvePublishVersion(requested, latest)).toEqual({ version: requested, autoBumped: false });
      }),
      runs,
    );
  });

  it('compareVersions agrees with semver and is antisymmetric', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(Math.sign(compareVersions(a, b))).toBe(Math.sign(semver.compare(a, b)));
        expect(Math.sign(compareVersions(a, b)) + Math.sign(compareVersions(b, a))).toBe(0);
      }),
      runs,
    );
  });
});

describe('planPublishVersion', () => {
  test.each([
    // requested, latest, base, expected version, expected base
    ['0.1.0', null, null, '0.1.0', null],
    ['0.1.0', '0.1.0', null, '0.1.1', '0.1.0'],
    // a concurrent republish of 0.1.0 that read the latest after another one bumped it
    ['0.1.0', '0.1.1', '0.1.0', '0.1.2', '0.1.0'],
    ['0.1.1', '0.1.2', '0.1.0', '0.1.3', '0.1.0'],
    ['0.2.0', '0.1.2', '0.1.0', '0.2.0', null],
  ])('%s over latest %s (base %s) gives %s', (requested, latest, base, version, nextBase) => {
    expect(planPublishVersion(requested, latest, base)).toEqual({ version, republishBase: nextBase });
  });

  test('a version below the republish chain is still a regression', () => {
    expect(() => planPublishVersion('0.0.9', '0.1.1', '0.1.0')).toThrow(VersionRegressionError);
    expect(() => planPublishVersion('0.1.0', '0.2.0', null)).toThrow(VersionRegressionError);
  });

  test('republishBaseAfter keeps the chain only for auto-bumps', () => {
    expect(republishBaseAfter('0.2.0', '0.2.0', '0.1.1', '0.1.0')).toBeNull();
    expect(republishBaseAfter('0.1.0', '0.1.2', '0.1.1', '0.1.0')).toBe('0.1.0');
    expect(republishBaseAfter('0.1.1', '0.1.2', '0.1.1', null)).toBe('0.1.1');
  });

  test('property: a republish of any version in the chain never fails and always climbs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), (bumps, picks) => {
        let latest = '1.0.0';
        let base: string | null = null;
        const chain = ['1.0.0'];
        for (let i = 0; i < bumps; i += 1) {
          const requested = chain[picks[i % picks.length]! % chain.length]!;
          const plan = planPublishVersion(requested, latest, base);
          expect(compareVersions(plan.version, latest)).toBeGreaterThan(0);
          base = republishBaseAfter(requested, plan.version, latest, base);
          latest = plan.version;
          chain.push(latest);
        }
      }),
    );
  });
});
