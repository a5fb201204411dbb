// The evaluation stays honest: no sentence of any shipped benchmark appears in what the scenario generator writes.
// Every 8-word window of every benchmark case text (user prompts, tool outputs, assistant prefixes, tool
// descriptions, system text) is looked up among the 8-word windows of 4,000 generated episodes per split (user
// prompts, planted instructions, every string in the world, tool descriptions). The allowance is zero.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { SuiteInfo } from '../../src/core/benchmarks';
import { parseCases } from '../../src/core/cases';
import { generateEpisodes } from '../../src/core/scenarios';

const N = 8;
const OUT = join(__dirname, '../../public/benchmarks');

function windows(text: string, into: Set<string>): void {
  const words = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
  for (let i = 0; i + N <= words.length; i++) into.add(words.slice(i, i + N).join(' '));
}

function strings(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => strings(v, out));
}

it('no benchmark 8-gram occurs in 12,000 generated train, dev and test episodes', () => {
  const generated = new Set<string>();
  for (const split of ['train', 'dev', 'test'] as const) {
    for (const e of generateEpisodes({ split, n: 4000, seed: 1 })) {
      const texts = [e.user, e.injection?.text ?? '', ...e.tools.map((t) => t.description)];
      strings(e.world, texts);
      texts.forEach((t) => windows(t, generated));
    }
  }
  expect(generated.size).toBeGreaterThan(10_000);
  const index = JSON.parse(readFileSync(join(OUT, 'index.json'), 'utf8')) as SuiteInfo[];
  let checked = 0;
  const shared: string[] = [];
  for (const suite of index) {
    const { cases } = parseCases(readFileSync(join(OUT, suite.file), 'utf8'));
    for (const c of cases) {
      const mine = new Set<string>();
      [c.system ?? '', ...c.messages.map((m) => m.content), ...c.tools.map((t) => t.description)].forEach((t) => windows(t, mine));
      checked += mine.size;
      for (const w of mine) if (generated.has(w)) shared.push(`${c.id}: "${w}"`);
    }
  }
  expect(checked).toBeGreaterThan(100_000);
  expect(shared.slice(0, 20)).toEqual([]);
}, 120_000);
