import { BadUserInputError, CatalogError, HTTP_STATUS_BY_CODE } from '../../common/errors';
import {
  isInstallable,
  requireStatusReason,
  transition,
  VERSION_STATUS_ACTIONS,
  VERSION_STATUSES,
  type VersionStatus,
  type VersionStatusAction,
} from './version-status';

describe('transition', () => {
  const expected: Record<VersionStatus, Record<VersionStatusAction, VersionStatus | 'ILLEGAL_STATE'>> = {
    active: { deprecate: 'deprecated', withdraw: 'withdrawn', restore: 'ILLEGAL_STATE' },
    deprecated: { deprecate: 'ILLEGAL_STATE', withdraw: 'withdrawn', restore: 'active' },
    withdrawn: { deprecate: 'ILLEGAL_STATE', withdraw: 'ILLEGAL_STATE', restore: 'active' },
    staged: { deprecate: 'ILLEGAL_STATE', withdraw: 'ILLEGAL_STATE', restore: 'ILLEGAL_STATE' },
    rejected: { deprecate: 'ILLEGAL_STATE', withdraw: 'ILLEGAL_STATE', restore: 'ILLEGAL_STATE' },
  };
  const table = VERSION_STATUSES.flatMap((status) => VERSION_STATUS_ACTIONS.map((action) => [status, action, expected[status][action]] as const));

  it('covers every state and action', () => {
    expect(table).toHaveLength(15);
  });

  it.each(table)('%s, %s: %s', (status, action, outcome) => {
    if (outcome !== 'ILLEGAL_STATE') {
      expect(transition(status, action)).toBe(outcome);
      return;
    }
    let error: unknown;
    try {
      transition(status, action);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CatalogError);
    // The code only: both edges take its HTTP status from the one table.
    expect((error as CatalogError).extensions).toEqual({ code: 'ILLEGAL_STATE' });
    expect(HTTP_STATUS_BY_CODE[(error as CatalogError).code]).toBe(409);
  });

  it('says what to do with a withdrawn version someone wants deprecated', () => {
    expect(() => transition('withdrawn', 'deprecate')).toThrow('The version is withdrawn: restore it first');
    expect(() => transition('deprecated', 'deprecate')).toThrow('The version is already deprecated');
  });
});

describe('isInstallable', () => {
  it.each([
    ['active', true],
    ['deprecated', true],
    ['withdrawn', false],
    ['staged', false],
    ['rejected', false],
  ] as const)('%s: %s', (status, installable) => {
    expect(isInstallable(status)).toBe(installable);
  });
});

describe('requireStatusReason', () => {
  it('trims and accepts 1 to 500 characters, counting code points', () => {
    expect(requireStatusReason('  broken on Node 20 ')).toBe('broken on Node 20');
    expect(requireStatusReason('😀'.repeat(500))).toHaveLength(1000);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['501 characters', 'x'.repeat(501)],
  ])('refuses %s', (_, reason) => {
    expect(() => requireStatusReason(reason)).toThrow(BadUserInputError);
  });
});
