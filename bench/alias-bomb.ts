// How long the loader takes to refuse a YAML alias bomb (a billion laughs: 10^6 nodes if expanded). Speed is
// measured here, not asserted in tests: test/unit/manifests/load.test.ts checks that it is refused, by rule.
//   npx tsx bench/alias-bomb.ts [--repeat 20]
import { parseArgs } from 'node:util';
import { loadManifests } from '../src/kinds/registry.js';

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '20' } } });
const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
for (const [prev, name] of [
  ['a', 'b'],
  ['b', 'c'],
  ['c', 'd'],
  ['d', 'e'],
  ['e', 'f'],
]) {
  levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
}
const content = `${levels.join('\n')}\n`;
const times: number[] = [];
for (let i = 0; i < Number(values.repeat); i++) {
  const started = process.hrtime.bigint();
  const loaded = loadManifests([{ path: 'bomb.yaml', content }]);
  times.push(Number(process.hrtime.bigint() - started) / 1e6);
  if (loaded.fileProblems[0]?.code !== 'YAML_PARSE') throw new Error('the alias bomb was not refused');
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
console.log(
  `alias bomb refused: median ${median.toFixed(2)} ms, max ${times[times.length - 1]!.toFixed(2)} ms over ${times.length} runs`,
);
