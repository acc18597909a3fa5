import fc from 'fast-check';
import { PolicyViolationError } from '../../common/errors';
import { evaluatePolicy, globMatcher, hostMatches, urlHostsIn, type PolicyFlow } from './evaluate-policy';
import { parsePolicyRules, storedPolicyRules, type PolicyMode } from './policy-rules';
import { checkPublishPolicy } from './publish-check';

const segment = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
const nodeType = fc.tuple(segment, segment).map(([a, b]) => `${a}.${b}`);
const mode = fc.constantFrom<PolicyMode>('dry_run', 'enforce');
const flowOf = (types: string[], configs: Array<Record<string, unknown> | null> = []): PolicyFlow => ({
  nodes: types.map((type, index) => ({ type, config: configs[index] ?? null })),
});

describe('evaluatePolicy: allowedNodeTypes', () => {
  it('a flow whose node types all match never violates', () => {
    fc.assert(
      fc.property(fc.array(nodeType, { minLength: 1, maxLength: 20 }), mode, (types, m) => {
        // Each type allowed either by itself or by its family's wildcard.
        const patterns = [...new Set(types.map((type, index) => (index % 2 === 0 ? type : `${type.split('.')[0]}.*`)))];
        expect(evaluatePolicy({ allowedNodeTypes: { patterns, mode: m } }, flowOf(types)).violations).toEqual([]);
      }),
    );
  });

  it('adding a node with an unmatched type yields exactly one more violation, at its path', () => {
    fc.assert(
      fc.property(fc.array(nodeType, { minLength: 1, maxLength: 20 }), fc.nat(), mode, (types, at, m) => {
        const rules = { allowedNodeTypes: { patterns: [...new Set(types)], mode: m } };
        const index = at % (types.length + 1);
        const extended = [...types.slice(0, index), 'zz-unlisted.node', ...types.slice(index)];
        const before = evaluatePolicy(rules, flowOf(types)).violations;
        const after = evaluatePolicy(rules, flowOf(extended)).violations;
        expect(after).toHaveLength(before.length + 1);
        expect(after).toEqual([{ rule: 'allowedNodeTypes', mode: m, path: `/nodes/${index}/type`, message: expect.stringContaining('zz-unlisted.node') }]);
      }),
    );
  });

  it('globs: * matches any run of characters, dots included; everything else literally', () => {
    expect(globMatcher('http.*')('http.request')).toBe(true);
    expect(globMatcher('http.*')('http.a.b')).toBe(true);
    expect(globMatcher('http.*')('https.request')).toBe(false);
    expect(globMatcher('openai.chat')('openaiXchat')).toBe(false);
    expect(globMatcher('*')('anything')).toBe(true);
    expect(globMatcher('a*c')('ac')).toBe(true);
    expect(globMatcher('Http.*')('http.request')).toBe(false);
  });
});

describe('evaluatePolicy: allowedHosts', () => {
  it('finds every http(s) URL in a config, deeply, with its pointer', () => {
    const config = {
      url: 'https://api.example.com/v1',
      headers: [{ name: 'x', value: 'http://Evil.COM:8080/x' }],
      'a/b': { '~k': 'https://other.org' },
      note: 'see https://docs.example.com',
      ftp: 'ftp://files.example.com',
      template: 'https://{{params.host}}/x',
    };
    expect(urlHostsIn(config, '/nodes/0/config')).toEqual([
      { pointer: '/nodes/0/config/url', host: 'api.example.com' },
      { pointer: '/nodes/0/config/headers/0/value', host: 'evil.com' },
      { pointer: '/nodes/0/config/a~1b/~0k', host: 'other.org' },
      // A templated host is not known to be allowed: it is checked like any other, and no pattern matches it.
      { pointer: '/nodes/0/config/template', host: '{{params.host}}' },
    ]);
  });

  it('host patterns: exact, or every host below a domain (not the domain itself)', () => {
    expect(hostMatches('api.example.com', 'api.example.com')).toBe(true);
    expect(hostMatches('api.example.com', 'x.api.example.com')).toBe(false);
    expect(hostMatches('*.example.com', 'a.b.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'example.com')).toBe(false);
    expect(hostMatches('*.example.com', 'badexample.com')).toBe(false);
  });

  it('a URL whose host is listed never violates; one more URL with an unlisted host is one more violation at its pointer', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(segment, segment), { minLength: 1, maxLength: 10 }), mode, (hosts, m) => {
        const names = hosts.map(([a, b]) => `${a}.${b}.com`);
        const configs = names.map((host) => ({ url: `https://${host}/path` }));
        const rules = { allowedHosts: { patterns: [...new Set(names)], mode: m } };
        const types = names.map(() => 'http.request');
        expect(evaluatePolicy(rules, flowOf(types, configs)).violations).toEqual([]);
        const extended = [...configs.slice(0, -1), { ...configs.at(-1), extra: { deep: ['https://unlisted.invalid/x'] } }];
        expect(evaluatePolicy(rules, flowOf(types, extended)).violations).toEqual([
          { rule: 'allowedHosts', mode: m, path: `/nodes/${names.length - 1}/config/extra/deep/0`, message: expect.stringContaining('unlisted.invalid') },
        ]);
      }),
    );
  });
});

describe('evaluatePolicy: maxNodes', () => {
  it('one violation exactly when the flow has more nodes than the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), mode, (count, limit, m) => {
        const { violations } = evaluatePolicy({ maxNodes: { limit, mode: m } }, flowOf(Array.from({ length: count }, () => 'a.b')));
        expect(violations).toEqual(count > limit ? [{ rule: 'maxNodes', mode: m, path: '/nodes', message: expect.any(String) }] : []);
      }),
    );
  });
});

describe('checkPublishPolicy', () => {
  const flow = flowOf(['http.request', 'shell.exec'], [{ url: 'https://evil.test/x' }, null]);

  it('no content rule: none, even with release rules', () => {
    expect(checkPublishPolicy({ requireApproval: { mode: 'enforce' } }, flow)).toEqual({ dryRunViolations: [], checks: 'none' });
  });

  it('DRY_RUN violations pass, listed; the checks say which rule ran in which mode and how it went', () => {
    const outcome = checkPublishPolicy({ allowedNodeTypes: { patterns: ['http.*'], mode: 'dry_run' }, maxNodes: { limit: 5, mode: 'enforce' } }, flow);
    expect(outcome.dryRunViolations).toEqual([{ rule: 'allowedNodeTypes', path: '/nodes/1/type', message: expect.any(String) }]);
    expect(outcome.checks).toBe('allowedNodeTypes:dry_run:violated,maxNodes:enforce:passed');
  });

  it('any ENFORCE violation refuses, listing every ENFORCE violation', () => {
    const rules = {
      allowedNodeTypes: { patterns: ['http.*'], mode: 'dry_run' as const },
      allowedHosts: { patterns: ['*.example.com'], mode: 'enforce' as const },
      maxNodes: { limit: 1, mode: 'enforce' as const },
    };
    let caught: unknown;
    try {
      checkPublishPolicy(rules, flow);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PolicyViolationError);
    expect((caught as PolicyViolationError).violations.map((v) => [v.rule, v.path])).toEqual([
      ['allowedHosts', '/nodes/0/config/url'],
      ['maxNodes', '/nodes'],
    ]);
  });
});

describe('parsePolicyRules', () => {
  const problemsOf = (input: unknown) => {
    try {
      parsePolicyRules(input);
      return [];
    } catch (error) {
      return (error as { problems: Array<{ path: string }> }).problems.map((problem) => problem.path);
    }
  };

  it('takes a full policy and drops absent rules', () => {
    const rules = {
      allowedNodeTypes: { patterns: ['http.*', 'openai.chat'], mode: 'enforce' },
      allowedHosts: { patterns: ['api.example.com', '*.example.org'], mode: 'dry_run' },
      maxNodes: { limit: 50, mode: 'enforce' },
      requireApproval: { mode: 'enforce' },
      explicitPromotion: { mode: 'dry_run' },
      coolingOffMinutes: { minutes: 0, mode: 'enforce' },
    };
    expect(parsePolicyRules({ ...rules, extra: undefined })).toEqual(rules);
    expect(parsePolicyRules({ maxNodes: null })).toEqual({});
  });

  it('refuses bad patterns, limits and counts, each located', () => {
    expect(problemsOf({ allowedNodeTypes: { patterns: ['ok.*', '1bad', 'a b'], mode: 'enforce' } })).toEqual([
      '$.input.allowedNodeTypes.patterns[1]',
      '$.input.allowedNodeTypes.patterns[2]',
    ]);
    expect(problemsOf({ allowedHosts: { patterns: ['API.example.com', 'a.*.com', 'https://x.com', '*.ok.com'], mode: 'enforce' } })).toEqual([
      '$.input.allowedHosts.patterns[0]',
      '$.input.allowedHosts.patterns[1]',
      '$.input.allowedHosts.patterns[2]',
    ]);
    expect(problemsOf({ allowedHosts: { patterns: [], mode: 'enforce' } })).toEqual(['$.input.allowedHosts.patterns']);
    expect(problemsOf({ allowedHosts: { patterns: Array.from({ length: 101 }, (_, i) => `h${i}.com`), mode: 'enforce' } })).toEqual([
      '$.input.allowedHosts.patterns',
    ]);
    expect(problemsOf({ allowedNodeTypes: { patterns: ['a.b', 'a.b'], mode: 'enforce' } })).toEqual(['$.input.allowedNodeTypes.patterns']);
    expect(problemsOf({ allowedNodeTypes: { patterns: [`a${'b'.repeat(128)}`], mode: 'enforce' } })).toEqual(['$.input.allowedNodeTypes.patterns[0]']);
    expect(problemsOf({ maxNodes: { limit: 0, mode: 'enforce' } })).toEqual(['$.input.maxNodes.limit']);
    expect(problemsOf({ coolingOffMinutes: { minutes: 10_081, mode: 'enforce' } })).toEqual(['$.input.coolingOffMinutes.minutes']);
    expect(problemsOf({ coolingOffMinutes: { minutes: -1, mode: 'enforce' } })).toEqual(['$.input.coolingOffMinutes.minutes']);
    expect(problemsOf({ requireApproval: { mode: 'loud' } })).toEqual(['$.input.requireApproval.mode']);
  });

  it('stored rules a later release wrote are read rule by rule: unknown or unreadable ones are dropped', () => {
    expect(storedPolicyRules({ maxNodes: { limit: 3, mode: 'enforce' }, futureRule: { x: 1 }, allowedHosts: { patterns: 'nope' } })).toEqual({
      maxNodes: { limit: 3, mode: 'enforce' },
    });
  });
});
