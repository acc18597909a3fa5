import fc from 'fast-check';
import { resolveParameterValues, stampFlow, validateBindings } from './install-values';
import type { CredentialSlot, ParameterDeclaration, ParameterType } from './requirements.types';

/** A credential-shaped value no placeholder rule lets through. */
const LITERAL_SECRET = 'sk-live-4f9Qz7LmXw2RtB8nV3kP';

function declared(name: string, type: ParameterType, overrides: Partial<ParameterDeclaration> = {}): ParameterDeclaration {
  return { name, type, description: null, required: false, default: null, enum: type === 'enum' ? ['eu', 'us'] : null, pattern: null, ...overrides };
}

const DECLARED: ParameterDeclaration[] = [
  declared('region', 'enum', { required: true }),
  declared('retries', 'number', { default: 3 }),
  declared('dryRun', 'boolean'),
  declared('ticket', 'string', { pattern: '[A-Z]+-\\d+' }),
  declared('label', 'string', { default: 'none' }),
  declared('apiKey', 'secret-reference', { required: true }),
];

describe('resolveParameterValues', () => {
  it('takes the given values, fills in defaults and leaves out optional ones not given', () => {
    expect(resolveParameterValues(DECLARED, { region: 'us', dryRun: false, ticket: 'OPS-12', apiKey: '{{credentials.crm}}' })).toEqual({
      values: { region: 'us', retries: 3, dryRun: false, ticket: 'OPS-12', label: 'none', apiKey: '{{credentials.crm}}' },
      problems: [],
    });
    const { values } = resolveParameterValues(DECLARED, { region: 'eu', apiKey: '$env.CRM_KEY', retries: 0, label: null });
    expect(values).toEqual({ region: 'eu', retries: 0, label: 'none', apiKey: '$env.CRM_KEY' });
    expect(Object.keys(values)).not.toContain('dryRun');
    expect(resolveParameterValues([declared('zone', 'string', { required: true, default: 'eu' })], {})).toEqual({ values: { zone: 'eu' }, problems: [] });
  });

  it('wants a JSON object', () => {
    for (const given of [null, undefined, 'region=eu', 3, ['eu'], new Map([['region', 'eu']])]) {
      expect(resolveParameterValues(DECLARED, given)).toEqual({
        values: {},
        problems: [{ path: '$.parameters', message: 'Parameter values must be a JSON object keyed by parameter name' }],
      });
    }
    expect(resolveParameterValues([], Object.create(null)).problems).toEqual([]);
  });

  it('reports each problem at parameters.<name>', () => {
    const { problems } = resolveParameterValues(DECLARED, {
      region: 'mars',
      retries: '3',
      dryRun: 'yes',
      ticket: 'ops-12',
      label: 7,
      apiKey: 42,
      colour: 'red',
    });
    expect(problems).toEqual([
      { path: '$.parameters.region', message: 'Parameter "region" must be one of "eu", "us"' },
      { path: '$.parameters.retries', message: 'Parameter "retries" must be a number' },
      { path: '$.parameters.dryRun', message: 'Parameter "dryRun" must be true or false' },
      { path: '$.parameters.ticket', message: 'Parameter "ticket" must match the pattern /[A-Z]+-\\d+/ in full' },
      { path: '$.parameters.label', message: 'Parameter "label" must be a string' },
      { path: '$.parameters.apiKey', message: 'Parameter "apiKey" must be a string' },
      { path: '$.parameters.colour', message: 'This version declares no parameter of this name' },
    ]);
    expect(resolveParameterValues(DECLARED, {}).problems).toEqual([
      { path: '$.parameters.region', message: 'Parameter "region" is required' },
      { path: '$.parameters.apiKey', message: 'Parameter "apiKey" is required' },
    ]);
  });

  it('matches a pattern in full, not in part', () => {
    const ticket = [declared('ticket', 'string', { pattern: '[A-Z]+-\\d+' })];
    expect(resolveParameterValues(ticket, { ticket: 'OPS-12' }).problems).toEqual([]);
    for (const value of ['OPS-12 and more', 'see OPS-12', 'OPS-12\n']) expect(resolveParameterValues(ticket, { ticket: value }).problems).toHaveLength(1);
  });

  it('refuses a credential given for a secret-reference, without quoting it', () => {
    const { values, problems } = resolveParameterValues(DECLARED, { region: 'eu', apiKey: LITERAL_SECRET });
    expect(problems).toEqual([{ path: '$.parameters.apiKey', message: expect.stringContaining('not a credential') }]);
    expect(JSON.stringify(problems)).not.toContain(LITERAL_SECRET);
    expect(values).not.toHaveProperty('apiKey');
  });

  it('finds only own properties, and keeps a __proto__ key a key', () => {
    expect(resolveParameterValues([declared('constructor', 'string', { required: true })], {}).problems).toEqual([
      { path: '$.parameters.constructor', message: 'Parameter "constructor" is required' },
    ]);
    const { values, problems } = resolveParameterValues([declared('region', 'string')], JSON.parse('{"__proto__": {"polluted": true}, "region": "eu"}'));
    expect(problems).toEqual([{ path: '$.parameters.__proto__', message: 'This version declares no parameter of this name' }]);
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('never quotes a given value in a message', () => {
    const secretish = fc.stringMatching(/^[A-Za-z0-9+/]{6,30}$/).map((tail) => `Zq${tail}`);
    const given = fc.dictionary(fc.constantFrom(...DECLARED.map((d) => d.name), 'unknownOne', 'other'), fc.oneof(secretish, fc.integer({ min: 100_000 })), {
      maxKeys: 8,
    });
    fc.assert(
      fc.property(given, (values) => {
        const text = JSON.stringify(resolveParameterValues(DECLARED, values).problems);
        for (const value of Object.values(values)) expect(text).not.toContain(String(value));
      }),
      { numRuns: 300 },
    );
  });
});

const SLOTS: CredentialSlot[] = [
  { name: 'openai', kind: 'openai', nodeIds: ['chat'] },
  { name: 'crm', kind: null, nodeIds: ['sync'] },
];

describe('validateBindings', () => {
  it('accepts each slot bound once to a well-formed credential name', () => {
    expect(validateBindings(SLOTS, [])).toEqual([]);
    expect(
      validateBindings(SLOTS, [
        { slot: 'openai', credential: 'team-openai_2' },
        { slot: 'crm', credential: `_${'x'.repeat(127)}` },
      ]),
    ).toEqual([]);
  });

  it('reports unknown and repeated slots, and malformed credential names without quoting them', () => {
    const problems = validateBindings(SLOTS, [
      { slot: 'openai', credential: 'a' },
      { slot: 'stripe', credential: 'b' },
      { slot: 'openai', credential: 'c' },
      { slot: 'crm', credential: LITERAL_SECRET.replace(/-/g, ' ') },
      { slot: 'crm', credential: `a${'x'.repeat(128)}` },
      { slot: 'constructor', credential: '9lives' },
    ]);
    expect(problems).toEqual([
      { path: '$.credentialBindings[1].slot', message: 'No credential slot of this version has this name; its slots are: "openai", "crm"' },
      { path: '$.credentialBindings[2].slot', message: 'Slot "openai" is already bound at credentialBindings[0]' },
      { path: '$.credentialBindings[3].credential', message: expect.stringContaining('A credential name starts with a letter') },
      { path: '$.credentialBindings[4].slot', message: 'Slot "crm" is already bound at credentialBindings[3]' },
      { path: '$.credentialBindings[4].credential', message: expect.stringContaining('at most 128 characters') },
      { path: '$.credentialBindings[5].slot', message: expect.stringContaining('No credential slot') },
      { path: '$.credentialBindings[5].credential', message: expect.stringContaining('A credential name') },
    ]);
    expect(JSON.stringify(problems)).not.toContain('4f9Qz7');
    expect(validateBindings([], [{ slot: 'x', credential: 'y' }])).toEqual([
      { path: '$.credentialBindings[0].slot', message: 'No credential slot of this version has this name; its slots are: (none)' },
    ]);
  });
});

describe('stampFlow', () => {
  const values = { port: 8080, debug: false, host: 'api.example.com', region: 'eu' };

  it('gives a string that is one reference the value itself, typed', () => {
    const stamped = stampFlow(
      { config: { port: '{{params.port}}', debug: '{{ params.debug }}', host: '{{\tparams.host }}', list: ['{{params.port}}'] } },
      values,
      [],
    );
    expect(stamped).toEqual({ config: { port: 8080, debug: false, host: 'api.example.com', list: [8080] } });
  });

  it('writes values into longer text as strings, and leaves references to parameters without a value', () => {
    const stamped = stampFlow(
      {
        url: 'https://{{params.host}}:{{ params.port }}/{{params.region}}',
        padded: ' {{params.port}} ',
        flag: 'debug={{params.debug}}',
        later: '{{params.missing}}',
      },
      values,
      [],
    );
    expect(stamped).toEqual({ url: 'https://api.example.com:8080/eu', padded: ' 8080 ', flag: 'debug=false', later: '{{params.missing}}' });
  });

  it('names the bound credential in every reference to a slot, keeping fields and spacing', () => {
    const stamped = stampFlow(
      {
        nodes: [
          {
            config: {
              auth: 'Bearer {{credentials.openai}}',
              key: '{{ credentials.openai.apiKey }}',
              nested: ['{{credentials.crm.user.name}}', '{{credentials.unbound}}'],
            },
          },
        ],
        metadata: { note: '{{credentials.openai}}' },
      },
      {},
      [
        { slot: 'openai', credential: 'team-openai' },
        { slot: 'crm', credential: 'crm_prod' },
        { slot: 'openai', credential: 'ignored-second-binding' },
      ],
    );
    expect(stamped).toEqual({
      nodes: [
        {
          config: {
            auth: 'Bearer {{credentials.team-openai}}',
            key: '{{ credentials.team-openai.apiKey }}',
            nested: ['{{credentials.crm_prod.user.name}}', '{{credentials.unbound}}'],
          },
        },
      ],
      metadata: { note: '{{credentials.team-openai}}' },
    });
  });

  it('rewrites in one pass: text a value brings in is left as given', () => {
    const stamped = stampFlow({ a: 'x {{params.key}} {{credentials.crm}}', b: '{{params.other}}' }, { key: '{{credentials.crm}}', other: '{{params.key}}' }, [
      { slot: 'crm', credential: 'bound' },
    ]);
    expect(stamped).toEqual({ a: 'x {{credentials.crm}} {{credentials.bound}}', b: '{{params.key}}' });
  });

  it('leaves object keys as they are, and keeps a __proto__ key a key', () => {
    const input = JSON.parse('{"{{params.region}}": "{{params.region}}", "__proto__": {"x": "{{params.region}}"}}') as Record<string, unknown>;
    const stamped = stampFlow(input, values, []);
    expect(Object.keys(stamped)).toEqual(['{{params.region}}', '__proto__']);
    expect(stamped['{{params.region}}']).toBe('eu');
    expect(Object.getPrototypeOf(stamped)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(stamped, '__proto__')?.value).toEqual({ x: 'eu' });
  });

  it('finds only own values: a reference to {{params.constructor}} without a value stays', () => {
    expect(stampFlow({ a: '{{params.constructor}}', b: 'x{{params.toString}}' }, {}, [])).toEqual({ a: '{{params.constructor}}', b: 'x{{params.toString}}' });
  });

  it('copies: the input is not changed, and shares nothing with the result', () => {
    const input = { nodes: [{ id: 'a', config: { url: '{{params.host}}', n: 1, empty: null } }] };
    const before = structuredClone(input);
    const stamped = stampFlow(input, values, []) as typeof input;
    expect(input).toEqual(before);
    expect(stamped.nodes).not.toBe(input.nodes);
    expect(stamped.nodes[0]!.config).not.toBe(input.nodes[0]!.config);
    expect(stamped).toEqual({ nodes: [{ id: 'a', config: { url: 'api.example.com', n: 1, empty: null } }] });
  });
});
