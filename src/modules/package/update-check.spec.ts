import { BadUserInputError } from '../../common/errors';
import { checkUpdateInputs, MAX_UPDATE_INPUTS, shapeUpdate } from './update-check';
import type { VersionStatus } from './version-status';

const row = (version: string, status: VersionStatus = 'active') => ({ version, status, changelog: `Changes in ${version}` });
const rows = [row('1.0.0'), row('1.1.0', 'deprecated'), row('1.2.0', 'withdrawn'), row('1.3.0'), row('2.0.0-rc.1'), row('2.0.0-rc.2')];
const versionsOf = (answer: { newerVersions: { version: string }[] }) => answer.newerVersions.map((v) => v.version);

describe('shapeUpdate', () => {
  it('offers a copy at a release the newer installable releases, newest first, with their rows', () => {
    const answer = shapeUpdate({ packageId: 'p', installedVersion: '1.0.0' }, rows);
    expect(answer).toMatchObject({ packageId: 'p', installedVersion: '1.0.0', latestVersion: '1.3.0', updateAvailable: true, installedStatus: 'active' });
    expect(versionsOf(answer)).toEqual(['1.3.0', '1.1.0']);
    expect(answer.newerVersions[0]).toBe(rows[3]);
  });

  it('tells a copy at a withdrawn version so, and where to go', () => {
    const answer = shapeUpdate({ packageId: 'p', installedVersion: '1.2.0' }, rows);
    expect(answer).toMatchObject({ latestVersion: '1.3.0', updateAvailable: true, installedStatus: 'withdrawn' });
    expect(versionsOf(answer)).toEqual(['1.3.0']);
  });

  it('has no update for a copy at the latest release, even with newer prereleases', () => {
    expect(shapeUpdate({ packageId: 'p', installedVersion: '1.3.0' }, rows)).toEqual({
      packageId: 'p',
      installedVersion: '1.3.0',
      latestVersion: '1.3.0',
      updateAvailable: false,
      installedStatus: 'active',
      newerVersions: [],
    });
  });

  it('offers a copy at a prerelease every newer version, and its latest is the highest installable', () => {
    const answer = shapeUpdate({ packageId: 'p', installedVersion: '1.3.0-beta' }, rows);
    expect(answer).toMatchObject({ latestVersion: '2.0.0-rc.2', updateAvailable: true, installedStatus: null });
    expect(versionsOf(answer)).toEqual(['2.0.0-rc.2', '2.0.0-rc.1', '1.3.0']);
  });

  it('offers no prerelease to a copy at a release when only prereleases are installable', () => {
    const answer = shapeUpdate({ packageId: 'p', installedVersion: '1.0.0' }, [row('1.0.0', 'withdrawn'), row('2.0.0-rc.1')]);
    expect(answer).toMatchObject({ latestVersion: '2.0.0-rc.1', updateAvailable: false, installedStatus: 'withdrawn', newerVersions: [] });
  });

  it('answers an unknown or invisible package (null) and one with nothing installable alike', () => {
    const expected = { packageId: 'p', installedVersion: '1.0.0', latestVersion: null, updateAvailable: false, installedStatus: null, newerVersions: [] };
    expect(shapeUpdate({ packageId: 'p', installedVersion: '1.0.0' }, null)).toEqual(expected);
    expect(shapeUpdate({ packageId: 'p', installedVersion: '1.0.0' }, [row('2.0.0', 'withdrawn')])).toEqual(expected);
  });
});

describe('checkUpdateInputs', () => {
  it(`accepts up to ${MAX_UPDATE_INPUTS} valid inputs`, () => {
    expect(() => checkUpdateInputs(Array.from({ length: MAX_UPDATE_INPUTS }, () => ({ packageId: 'p', version: '1.0.0-rc.1' })))).not.toThrow();
  });

  it('lists every invalid version by index', () => {
    try {
      checkUpdateInputs([
        { packageId: 'p', version: 'v1' },
        { packageId: 'p', version: '1.0.0' },
        { packageId: 'p', version: '' },
      ]);
      throw new Error('not refused');
    } catch (error) {
      expect(error).toBeInstanceOf(BadUserInputError);
      expect((error as BadUserInputError).problems?.map((p) => p.path)).toEqual(['$.installed[0].version', '$.installed[2].version']);
    }
  });

  it('lists every tenant id that is not a tenant id by index (a NUL must never reach SQL)', () => {
    try {
      checkUpdateInputs([
        { packageId: 'p', version: '1.0.0', tenantId: 'acme' },
        { packageId: 'p', version: '1.0.0', tenantId: 'a\u0000b' },
        { packageId: 'p', version: '1.0.0', tenantId: null },
        { packageId: 'p', version: '1.0.0', tenantId: '../acme' },
      ]);
      throw new Error('not refused');
    } catch (error) {
      expect(error).toBeInstanceOf(BadUserInputError);
      expect((error as BadUserInputError).problems?.map((p) => p.path)).toEqual(['$.installed[1].tenantId', '$.installed[3].tenantId']);
    }
  });

  it(`refuses more than ${MAX_UPDATE_INPUTS}`, () => {
    expect(() => checkUpdateInputs(Array.from({ length: MAX_UPDATE_INPUTS + 1 }, () => ({ packageId: 'p', version: '1.0.0' })))).toThrow(BadUserInputError);
  });
});
