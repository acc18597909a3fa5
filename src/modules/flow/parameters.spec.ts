import { jsonPath } from '../../common/errors';
import { FlowGraphSchema } from './flow-graph';
import { checkParameterUse, MAX_PARAMETERS, PARAMETER_REFERENCE, parameterDeclarationsSchema, parameterNamesIn } from './parameters';
import type { ParameterDeclaration } from './requirements.types';

/** A credential-shaped value no placeholder rule lets through. */
const LITERAL_SECRET = 'sk-live-4f9Qz7LmXw2RtB8nV3kP';

function issuesOf(input: unknown): Array<{ path: string; message: string }> {
  const result = parameterDeclarationsSchema.safeParse(input);
  if (result.success) throw new Error(`expected the declarations to be refused: ${JSON.stringify(result.data)}`);
  return result.error.issues.map((issue) => ({ path: jsonPath(issue.path), message: issue.message }));
}

function pathsOf(input: unknown): string[] {
  return issuesOf(input).map((issue) => issue.path);
}

describe('parameterDeclarationsSchema', () => {
  it('fills in what was left out: nulls, and required false', () => {
    const parsed = parameterDeclarationsSchema.parse([
      { name: 'region', type: 'enum', enum: ['eu', 'us'], default: 'eu', description: 'Where data stays', required: true },
      { name: 'retries', type: 'number', default: 3 },
      { name: 'dryRun', type: 'boolean', default: null, description: null, required: null, enum: null, pattern: null },
      { name: 'ticket', type: 'string', pattern: '[A-Z]+-\\d+', default: 'OPS-12' },
      { name: 'apiKey', type: 'secret-reference', default: '{{credentials.crm}}' },
    ]);
    expect(parsed).toEqual<ParameterDeclaration[]>([
      { name: 'region', type: 'enum', description: 'Where data stays', required: true, default: 'eu', enum: ['eu', 'us'], pattern: null },
      { name: 'retries', type: 'number', description: null, required: false, default: 3, enum: null, pattern: null },
      { name: 'dryRun', type: 'boolean', description: null, required: false, default: null, enum: null, pattern: null },
      { name: 'ticket', type: 'string', description: null, required: false, default: 'OPS-12', enum: null, pattern: '[A-Z]+-\\d+' },
      { name: 'apiKey', type: 'secret-reference', description: null, required: false, default: '{{credentials.crm}}', enum: null, pattern: null },
    ]);
    expect(parameterDeclarationsSchema.parse([])).toEqual([]);
  });

  it('refuses bad names, repeated names and unknown fields', () => {
    expect(pathsOf([{ name: '9lives', type: 'string' }])).toEqual(['$[0].name']);
    expect(pathsOf([{ name: 'has-dash', type: 'string' }])).toEqual(['$[0].name']);
    expect(pathsOf([{ name: `a${'b'.repeat(64)}`, type: 'string' }])).toEqual(['$[0].name']);
    expect(parameterDeclarationsSchema.safeParse([{ name: `a${'b'.repeat(63)}`, type: 'string' }]).success).toBe(true);
    expect(issuesOf([{ name: '__proto__', type: 'string' }])).toEqual([{ path: '$[0].name', message: 'The name "__proto__" is not allowed' }]);
    expect(
      issuesOf([
        { name: 'a', type: 'string' },
        { name: 'b', type: 'number' },
        { name: 'a', type: 'boolean' },
      ]),
    ).toEqual([{ path: '$[2].name', message: 'Duplicate parameter name "a" (first declared at [0].name)' }]);
    expect(pathsOf([{ name: 'a', type: 'string', label: 'A' }])).toEqual(['$[0]']);
    expect(pathsOf([{ name: 'a' }])).toEqual(['$[0].type']);
    expect(pathsOf([{ name: 'a', type: 'date' }])).toEqual(['$[0].type']);
    expect(pathsOf([{ name: 'a', type: 'string', description: 'x'.repeat(2001) }])).toEqual(['$[0].description']);
    expect(pathsOf([{ name: 'a', type: 'string', required: 'yes' }])).toEqual(['$[0].required']);
    expect(pathsOf(Array.from({ length: MAX_PARAMETERS + 1 }, (_, i) => ({ name: `p${i}`, type: 'string' })))).toEqual(['$']);
    expect(pathsOf({ name: 'a', type: 'string' })).toEqual(['$']);
  });

  it('wants a list of distinct values for an enum, and only for an enum', () => {
    expect(pathsOf([{ name: 'a', type: 'enum' }])).toEqual(['$[0].enum']);
    expect(pathsOf([{ name: 'a', type: 'enum', enum: null }])).toEqual(['$[0].enum']);
    expect(pathsOf([{ name: 'a', type: 'enum', enum: [] }])).toEqual(['$[0].enum']);
    expect(issuesOf([{ name: 'a', type: 'enum', enum: ['x', 'y', 'x', 'x'] }])).toEqual([
      { path: '$[0].enum[2]', message: 'Duplicate enum value (first listed at enum[0])' },
      { path: '$[0].enum[3]', message: 'Duplicate enum value (first listed at enum[0])' },
    ]);
    expect(pathsOf([{ name: 'a', type: 'enum', enum: ['x'.repeat(201)] }])).toEqual(['$[0].enum[0]']);
    expect(pathsOf([{ name: 'a', type: 'enum', enum: Array.from({ length: 101 }, (_, i) => `v${i}`) }])).toEqual(['$[0].enum']);
    expect(pathsOf([{ name: 'a', type: 'enum', enum: ['x', 7] }])).toEqual(['$[0].enum[1]']);
    expect(issuesOf([{ name: 'a', type: 'string', enum: ['x'] }])).toEqual([{ path: '$[0].enum', message: 'Only enum parameters list allowed values' }]);
  });

  it('wants a pattern to be a regular expression of at most 500 characters, on a string parameter', () => {
    expect(issuesOf([{ name: 'a', type: 'string', pattern: '([a-z]' }])).toEqual([
      {
        path: '$[0].pattern',
        message: expect.stringMatching(/^The pattern is not a valid regular expression: Invalid regular expression: .*Unterminated group/),
      },
    ]);
    // Balanced once wrapped for a full match, but no pattern on its own.
    expect(pathsOf([{ name: 'a', type: 'string', pattern: 'a)(b' }])).toEqual(['$[0].pattern']);
    expect(pathsOf([{ name: 'a', type: 'string', pattern: 'a'.repeat(501) }])).toEqual(['$[0].pattern']);
    expect(parameterDeclarationsSchema.safeParse([{ name: 'a', type: 'string', pattern: 'a'.repeat(500) }]).success).toBe(true);
    expect(issuesOf([{ name: 'a', type: 'number', pattern: '\\d+' }])).toEqual([{ path: '$[0].pattern', message: 'Only string parameters take a pattern' }]);
  });

  it('refuses a pattern whose nested repetitions could take exponential time to match', () => {
    // `(a+)+$` against "aaaa…!" backtracks for minutes: install would match it in-process.
    for (const pattern of ['(a+)+', '(x*)*y', '([a-z]+)*@']) {
      expect(issuesOf([{ name: 'a', type: 'string', pattern }])).toEqual([
        { path: '$[0].pattern', message: expect.stringMatching(/^The pattern nests repetitions/) },
      ]);
    }
    expect(parameterDeclarationsSchema.safeParse([{ name: 'a', type: 'string', pattern: '[A-Z]+-\\d+' }]).success).toBe(true);
  });

  it('wants a default of the declared type', () => {
    expect(issuesOf([{ name: 'a', type: 'number', default: '3' }])).toEqual([
      { path: '$[0].default', message: 'The default of a number parameter must be a number' },
    ]);
    expect(issuesOf([{ name: 'a', type: 'boolean', default: 'true' }])).toEqual([
      { path: '$[0].default', message: 'The default of a boolean parameter must be true or false' },
    ]);
    expect(issuesOf([{ name: 'a', type: 'string', default: 3 }])).toEqual([
      { path: '$[0].default', message: 'The default of a string parameter must be a string' },
    ]);
    expect(pathsOf([{ name: 'a', type: 'enum', enum: ['x'], default: true }])).toEqual(['$[0].default']);
    expect(pathsOf([{ name: 'a', type: 'secret-reference', default: 1 }])).toEqual(['$[0].default']);
    expect(pathsOf([{ name: 'a', type: 'number', default: Number.POSITIVE_INFINITY }])).toEqual(['$[0].default']);
    expect(pathsOf([{ name: 'a', type: 'number', default: { value: 1 } }])).toEqual(['$[0].default']);
    expect(issuesOf([{ name: 'a', type: 'enum', enum: ['x', 'y'], default: 'z' }])).toEqual([
      { path: '$[0].default', message: 'The default must be one of the enum values' },
    ]);
  });

  it('wants a string default to match the pattern in full', () => {
    const declaration = (value: string) => [{ name: 'a', type: 'string', pattern: '[a-z]+|[0-9]+', default: value }];
    expect(parameterDeclarationsSchema.safeParse(declaration('abc')).success).toBe(true);
    expect(parameterDeclarationsSchema.safeParse(declaration('123')).success).toBe(true);
    expect(issuesOf(declaration('abc1'))).toEqual([{ path: '$[0].default', message: 'The default does not match the pattern (in full)' }]);
    expect(pathsOf(declaration('x\n'))).toEqual(['$[0].default']);
  });

  it('refuses a credential as the default of a secret-reference, without quoting it', () => {
    const issues = issuesOf([{ name: 'apiKey', type: 'secret-reference', default: LITERAL_SECRET }]);
    expect(issues.map((issue) => issue.path)).toEqual(['$[0].default']);
    expect(JSON.stringify(issues)).not.toContain(LITERAL_SECRET);
    expect(JSON.stringify(issues)).not.toContain(LITERAL_SECRET.slice(3, 15));
    for (const reference of ['{{credentials.crm}}', '{{ credentials.crm.apiKey }}', '$env.CRM_KEY', 'vault:crm/api', 'CRM_API_KEY', '']) {
      expect(parameterDeclarationsSchema.safeParse([{ name: 'apiKey', type: 'secret-reference', default: reference }]).success).toBe(true);
    }
  });

  it('reports every problem of every declaration at once', () => {
    expect(
      pathsOf([
        { name: 'ok', type: 'string' },
        { name: '1bad', type: 'enum', enum: [], default: 4, extra: true },
        { name: 'ok', type: 'number', pattern: '(', default: 'x', description: 'd'.repeat(2001) },
        { name: 'c', type: 'colour', enum: ['x', 'x'], pattern: '(' },
        'not a declaration',
      ]).sort(),
    ).toEqual(['$[1]', '$[1].default', '$[1].enum', '$[1].name', '$[2].default', '$[2].description', '$[2].name', '$[2].pattern', '$[3].type', '$[4]']);
  });
});

describe('PARAMETER_REFERENCE', () => {
  it('reads {{params.name}} with or without spaces inside the braces', () => {
    expect(parameterNamesIn('{{params.region}}')).toEqual(['region']);
    expect(parameterNamesIn('https://{{ params.host }}/{{\tparams.path\t}}?r={{params.region }}')).toEqual(['host', 'path', 'region']);
    expect(parameterNamesIn('{{ param.x }} {{params.}} {{params.9x}} {{params.a.b}} {params.y} {{ $json.params.z }}')).toEqual([]);
    expect(PARAMETER_REFERENCE.flags).toBe('');
  });
});

function flow(content: Record<string, unknown>) {
  return FlowGraphSchema.parse({ id: 'f', edges: [], ...content });
}

function declared(name: string): ParameterDeclaration {
  return { name, type: 'string', description: null, required: false, default: null, enum: null, pattern: null };
}

describe('checkParameterUse', () => {
  it('accepts a flow whose references and declarations agree', () => {
    const content = flow({
      nodes: [{ id: 'a', type: 'http.request', config: { url: 'https://{{params.host}}/v1', region: '{{ params.region }}' } }],
    });
    expect(checkParameterUse(content, [declared('host'), declared('region')])).toEqual([]);
  });

  it('reports each string that refers to an undeclared parameter, at its path, once per name', () => {
    const content = flow({
      nodes: [
        { id: 'a', type: 'start' },
        { id: 'b', type: 'step', name: '{{params.label}}' },
        { id: 'c', type: 'http.request', config: { url: 'https://{{params.host}}/{{params.host}}?k={{params.key}}', list: ['x', '{{params.host}}'] } },
      ],
      edges: [{ source: 'a', target: 'b', condition: '{{params.branch}} == 1' }],
      metadata: { 'display name': '{{params.label}}' },
      config: { '{{params.inKey}}': 'keys are not searched' },
    });
    expect(checkParameterUse(content, [])).toEqual(
      expect.arrayContaining([
        { path: '$.nodes[1].name', message: 'Parameter "label" is not declared: declare it in parameters, or remove the reference' },
        { path: '$.nodes[2].config.url', message: 'Parameter "host" is not declared: declare it in parameters, or remove the reference' },
        { path: '$.nodes[2].config.url', message: 'Parameter "key" is not declared: declare it in parameters, or remove the reference' },
        { path: '$.nodes[2].config.list[1]', message: 'Parameter "host" is not declared: declare it in parameters, or remove the reference' },
        { path: '$.edges[0].condition', message: 'Parameter "branch" is not declared: declare it in parameters, or remove the reference' },
        { path: '$.metadata.display name', message: 'Parameter "label" is not declared: declare it in parameters, or remove the reference' },
      ]),
    );
    expect(checkParameterUse(content, [])).toHaveLength(6);
  });

  it('reports each declaration the flow never refers to, at parameters[<index>].name', () => {
    const content = flow({ nodes: [{ id: 'a', type: 'step', config: { when: '{{params.used}}' } }] });
    expect(checkParameterUse(content, [declared('spare'), declared('used'), declared('other')])).toEqual([
      { path: '$.parameters[0].name', message: 'Parameter "spare" is declared but the flow never uses it' },
      { path: '$.parameters[2].name', message: 'Parameter "other" is declared but the flow never uses it' },
    ]);
  });
});
