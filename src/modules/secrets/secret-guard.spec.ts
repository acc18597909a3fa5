import fc from 'fast-check';
import { CLEAN_CASES } from './__fixtures__/clean-flows';
import { fake } from './__fixtures__/fake-secrets';
import { largeFlow } from './__fixtures__/flows';
import { PLANTED_CASES } from './__fixtures__/planted-secrets';
import { pointerSegment } from './json-strings';
import { createSecretGuard, type SecretGuard } from './secret-guard';

let guard: SecretGuard;
beforeAll(async () => {
  guard = await createSecretGuard();
});

describe('planted credentials', () => {
  it('has at least 40 cases', () => {
    expect(PLANTED_CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(PLANTED_CASES.map((c) => [c.name, c] as const))('refuses: %s', async (_name, { input, expected }) => {
    expect(await guard.scan(input)).toEqual(expected);
  });
});

describe('clean flows', () => {
  it('has at least 40 cases', () => {
    expect(CLEAN_CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CLEAN_CASES.map((c) => [c.name, c] as const))('accepts: %s', async (_name, { input }) => {
    expect(await guard.scan(input)).toEqual([]);
  });
});

afterAll(() => {
  // Quoted in the closing notes: every case is asserted above, so these are the caught and passed counts.
  console.log(`secret guard corpus: planted caught ${PLANTED_CASES.length}/${PLANTED_CASES.length}, clean passed ${CLEAN_CASES.length}/${CLEAN_CASES.length}`);
});

// Keys end in a digit and values are drawn from harmless words, so the random flow holds no
// credential of its own (no sensitive key name ends in a digit).
const cleanKey = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('a/b', '~x', 'x~1/')).map((s) => `${s}0`);
const cleanText = fc.constantFrom('', 'hello', 'gpt-4o-mini', 'https://example.com/a?b=1', '{{credentials.x}}', 'Step 3 of 7');
const cleanTree = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    cleanText,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.dictionary(cleanKey, tie('tree'), { maxKeys: 4 }),
  ),
})).tree;

const SECRETS = [fake.gitHubToken(70), fake.anthropicKey(71), fake.slackBotToken(72), fake.googleApiKey(73), `Bearer ${fake.jwt(74)}`];

/** Every place in `tree` where a value can be planted: [container, key, pointer]. */
function plantingSpots(tree: unknown, pointer = ''): Array<[Record<string, unknown> | unknown[], string | number, string]> {
  if (tree === null || typeof tree !== 'object') return [];
  const spots: Array<[Record<string, unknown> | unknown[], string | number, string]> = [];
  const entries: Array<[string | number, unknown]> = Array.isArray(tree) ? tree.map((v, i) => [i, v]) : Object.entries(tree);
  for (const [key, value] of entries) {
    const childPointer = `${pointer}/${typeof key === 'number' ? key : pointerSegment(key)}`;
    spots.push([tree as Record<string, unknown>, key, childPointer], ...plantingSpots(value, childPointer));
  }
  return spots;
}

describe('properties', () => {
  it('reports a planted credential exactly where it was planted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(cleanKey, cleanTree, { minKeys: 1, maxKeys: 5 }),
        fc.nat(),
        fc.constantFrom(...SECRETS),
        async (flow, spotChoice, secret) => {
          const spots = plantingSpots(flow);
          const [container, key, pointer] = spots[spotChoice % spots.length]!;
          (container as Record<string, unknown>)[key] = secret;
          const findings = await guard.scan({ flow });
          expect(findings.map((f) => f.path)).toEqual([pointer]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throws on any JSON value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.option(fc.string()), async (flow, readme) => {
        const findings = await guard.scan({ flow, readme });
        expect(Array.isArray(findings)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('names a credential that is an object key by its position, in its own path and those beneath it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(cleanKey, cleanTree, { minKeys: 1, maxKeys: 5 }),
        fc.nat(),
        fc.constantFrom(fake.gitHubToken(75), fake.anthropicKey(76), fake.slackBotToken(77), fake.npmToken(78)),
        async (flow, spotChoice, secret) => {
          const objects = [
            { container: flow as Record<string, unknown>, pointer: '' },
            ...plantingSpots(flow).flatMap(([container, key, pointer]) => {
              const value = (container as Record<string, unknown>)[key];
              return value !== null && typeof value === 'object' && !Array.isArray(value) ? [{ container: value as Record<string, unknown>, pointer }] : [];
            }),
          ];
          const { container, pointer } = objects[spotChoice % objects.length]!;
          container[secret] = { password: fake.password(79) };
          const index = Object.keys(container).indexOf(secret);
          const findings = await guard.scan({ flow });
          expect(findings.map((f) => f.path)).toEqual([`${pointer}/#key${index}`, `${pointer}/#key${index}/password`]);
          const report = JSON.stringify(findings);
          // No part of it either: not one of its 8-character windows.
          for (let start = 0; start + 8 <= secret.length; start++) expect(report).not.toContain(secret.slice(start, start + 8));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('never reports the value itself', async () => {
    for (const { input } of PLANTED_CASES) {
      const report = JSON.stringify(await guard.scan(input));
      for (const secret of Object.values(fake).map((make) => make())) expect(report).not.toContain(secret);
    }
  });
});

describe('cost', () => {
  it('scans a 200-node flow well within a publish', async () => {
    const flow = largeFlow(200);
    const durations: number[] = [];
    for (let run = 0; run < 21; run++) {
      const started = performance.now();
      await guard.scan({ flow, readme: '# Large flow\n\nNothing secret here.' });
      durations.push(performance.now() - started);
    }
    const median = durations.sort((a, b) => a - b)[10]!;
    console.log(`secret guard: 200-node flow scanned in ${median.toFixed(1)} ms (median of 21)`);
    expect(median).toBeLessThan(500); // generous: the machine is shared; measured figure is in the log
  });

  it('scans a 256 KiB readme well within a publish', async () => {
    // Distinct words, markdown, settings and commands: every decoder of embedded-texts.ts has work.
    const words = Array.from({ length: 9000 }, (_, i) => `w${((i * 2654435761) >>> 0).toString(36)}`).join(' ');
    const section = `## Step\n\n${words}\n\n\`\`\`yaml\napi_key: <your key>\npassword: \${DB_PASSWORD}\n\`\`\`\n\ncurl -H "Authorization: Bearer $TOKEN" https://example.com/a%20b\n\n`;
    const readme = section.repeat(Math.ceil((256 * 1024) / section.length)).slice(0, 256 * 1024);
    const wall: number[] = [];
    const cpuBefore = process.cpuUsage();
    for (let run = 0; run < 11; run++) {
      const started = performance.now();
      expect(await guard.scan({ flow: largeFlow(20), readme })).toEqual([]);
      wall.push(performance.now() - started);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const median = wall.sort((a, b) => a - b)[5]!;
    console.log(
      `secret guard: 256 KiB readme scanned in ${median.toFixed(1)} ms wall (median of 11), ${((cpu.user + cpu.system) / 11000).toFixed(1)} ms CPU per scan`,
    );
    expect(median).toBeLessThan(1000); // generous, as above
  });
});
