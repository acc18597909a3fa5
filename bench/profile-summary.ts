/**
 * `node dist/bench/profile-summary.js <file.cpuprofile> [top]`: where a V8 CPU profile (from
 * `npm run bench -- --profile`) spends its time. Self time by area (a package under
 * node_modules, a file of ours, node's internals, GC, idle) and the top functions.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Keeps only the samples taken between `fromUs` and `toUs` (V8's monotonic clock, microseconds). */
export function window(profile: Profile, fromUs: number, toUs: number): Profile {
  const samples: number[] = [];
  const timeDeltas: number[] = [0];
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= fromUs && at <= toUs) {
      samples.push(id);
      timeDeltas.push(profile.timeDeltas[i + 1] ?? 0);
    }
  });
  return { ...profile, samples, timeDeltas };
}

function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node internals';
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + '/dist/'.length) : url;
}

/** Time spent in (or under) each of `names`: a function name, or `name@area` to pin it. */
export function inclusive(profile: Profile, names: string[]): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const totals = new Map(names.map((name) => [name, 0]));
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i + 1] ?? 0;
    if (byId.get(id)!.callFrame.functionName === '(idle)') return;
    busy += micros;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url } = byId.get(at)!.callFrame;
      for (const name of names) {
        const [fn, where] = name.split('@');
        if (fn === functionName && (!where || area(url, functionName).includes(where)) && !seen.has(name)) {
          seen.add(name);
          totals.set(name, totals.get(name)! + micros);
        }
      }
    }
  });
  return ['time in or under (percent of busy time):', ...names.map((name) => `  ${((100 * totals.get(name)!) / busy).toFixed(1).padStart(5)}%  ${name}`)].join(
    '\n',
  );
}

export function summarize(profile: Profile, top = 30): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));
  let total = 0;
  let idle = 0;
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, micros] of self) {
    const { callFrame } = byId.get(id)!;
    total += micros;
    if (callFrame.functionName === '(idle)') idle += micros;
    const where = area(callFrame.url, callFrame.functionName);
    areas.set(where, (areas.get(where) ?? 0) + micros);
    const fn = `${callFrame.functionName || '(anonymous)'} ${where}:${callFrame.lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + micros);
  }
  const busy = total - idle;
  const pct = (micros: number) => `${((100 * micros) / busy).toFixed(1).padStart(5)}%`;
  const lines = [`${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy (percentages are of busy time)`, '', 'self time by area:'];
  for (const [name, micros] of [...areas]
    .filter(([name]) => name !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    lines.push(`  ${pct(micros)}  ${name}`);
  lines.push('', 'top functions (self time):');
  for (const [name, micros] of [...functions]
    .filter(([name]) => !name.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    lines.push(`  ${pct(micros)}  ${name}`);
  return lines.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const phaseAt = args.indexOf('--phase');
  const phase = phaseAt >= 0 ? args.splice(phaseAt, 2)[1] : undefined;
  const [file, top, ...names] = args;
  if (!file) {
    console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top] [function[@area] ...] [--phase <scenario>]');
    process.exit(2);
  }
  let profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  if (phase) {
    // phases.json sits in the profiles directory (the baseline's profiles are one level below).
    const dir = path.dirname(file);
    const phasesFile = existsSync(path.join(dir, 'phases.json')) ? path.join(dir, 'phases.json') : path.join(dir, '..', 'phases.json');
    const phases = (JSON.parse(readFileSync(phasesFile, 'utf8')) as { name: string; startUs: number; endUs: number }[]).filter((p) => p.name === phase);
    if (!phases.length) throw new Error(`no phase ${phase} in ${phasesFile}`);
    const kept = phases.map((p) => window(profile, p.startUs, p.endUs));
    profile = { ...profile, samples: kept.flatMap((k) => k.samples), timeDeltas: [0, ...kept.flatMap((k) => k.timeDeltas.slice(1))] };
  }
  console.log(summarize(profile, Number(top ?? 30)));
  if (names.length) console.log(`\n${inclusive(profile, names)}`);
}
