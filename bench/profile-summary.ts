// Sums a V8 CPU profile (node --cpu-prof) by function: self time and inclusive time, the top N of each.
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/worker.ts '{"task":"render","size":10000}'
//   npx tsx bench/profile-summary.ts /tmp/prof/CPU.*.cpuprofile [--top 30] [--under renderManifests]
// --under keeps the samples whose stack holds a function of that name (async stacks are cut at each await).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|test)\//, '$1/');
  return `${functionName || '(anonymous)'} ${file}${file ? `:${lineNumber + 1}` : ''}`;
}

function summarise(profile: CpuProfile, under?: string) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of selfTime) {
    const stack: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at)!);
    if (under && !stack.some((n) => n.callFrame.functionName === under)) continue;
    total += micros;
    const own = label(stack[0]!);
    self.set(own, (self.get(own) ?? 0) + micros);
    for (const name of new Set(stack.map(label))) inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
  }
  return { total, self, inclusive };
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '30' }, under: { type: 'string' } },
  });
  const top = Number(values.top);
  for (const file of positionals) {
    const { total, self, inclusive } = summarise(
      JSON.parse(readFileSync(file, 'utf8')) as CpuProfile,
      values.under,
    );
    const print = (title: string, times: Map<string, number>) => {
      process.stdout.write(
        `${title} (${(total / 1000).toFixed(0)} ms sampled${values.under ? ` under ${values.under}` : ''})\n`,
      );
      for (const [name, micros] of [...times].sort((a, b) => b[1] - a[1]).slice(0, top))
        process.stdout.write(`${(micros / 1000).toFixed(0).padStart(8)} ms  ${name}\n`);
    };
    process.stdout.write(`== ${file}\n`);
    print('self', self);
    print('inclusive', inclusive);
  }
}

main();
