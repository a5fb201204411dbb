// Converts the public benchmarks in ../shared/benchmarks into the case format: public/benchmarks/<suite>.jsonl,
// public/benchmarks/index.json and each benchmark's LICENSE beside its cases. Deterministic: rerunning gives the same files.
// Usage: npm run convert:benchmarks [-- SOURCE_DIR [OUT_DIR]]
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCases, serializeCase, type Case } from '../src/core/cases';
import {
  convertAgentDojo,
  convertBfcl,
  convertInjecAgent,
  convertToolEmu,
  parseInjectionVectors,
  SUITE_META,
  type SuiteInfo,
} from '../src/core/benchmarks';
import { errorMessage } from '../src/core/errors';

export interface Converted {
  suites: Record<string, Case[]>;
  /** What was left out and why, one line each. */
  notes: string[];
}

/** Every suite converted from the benchmark copies in `src` (the tests call this too). */
export async function convertAll(src: string): Promise<Converted> {
  const json = async <T>(...parts: string[]): Promise<T> => JSON.parse(await readFile(join(src, ...parts), 'utf8')) as T;
  const jsonl = async <T>(...parts: string[]): Promise<T[]> =>
    (await readFile(join(src, ...parts), 'utf8'))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as T);
  const suites: Record<string, Case[]> = {};
  const notes: string[] = [];
  suites.injecagent = convertInjecAgent({
    tests: {
      dh_base: await json('injecagent', 'test_cases_dh_base.json'),
      dh_enhanced: await json('injecagent', 'test_cases_dh_enhanced.json'),
      ds_base: await json('injecagent', 'test_cases_ds_base.json'),
      ds_enhanced: await json('injecagent', 'test_cases_ds_enhanced.json'),
    },
    userCases: await jsonl('injecagent', 'user_cases.jsonl'),
    tools: await json('injecagent', 'tools.json'),
    simulatedResponses: await json('injecagent', 'attacker_simulated_responses.json'),
  });
  const vectors: Record<string, Map<string, string>> = {};
  for (const suite of ['banking', 'slack', 'travel', 'workspace']) {
    vectors[suite] = parseInjectionVectors(await readFile(join(src, 'agentdojo', 'suites', suite, 'injection_vectors.yaml'), 'utf8'));
  }
  suites.agentdojo = convertAgentDojo(await json('agentdojo', 'agentdojo_v1.2.1_tasks.json'), vectors);
  const bfcl: Case[] = [];
  for (const [category, file] of [['simple', 'simple_python'], ['multiple', 'multiple'], ['irrelevance', 'irrelevance']] as const) {
    const answers = category === 'irrelevance' ? [] : await jsonl<never>('bfcl', 'possible_answer', `BFCL_v4_${file}.json`);
    const { cases, skipped } = convertBfcl(category, await jsonl('bfcl', `BFCL_v4_${file}.json`), answers);
    for (const s of skipped) notes.push(`bfcl ${s.id} left out: ${s.reason}`);
    bfcl.push(...cases);
  }
  suites.bfcl = bfcl;
  const toolemu = convertToolEmu(await json('toolemu', 'all_cases.json'), await json('toolemu', 'all_toolkits.json'));
  notes.push(`toolemu: ${toolemu.skipped.length} cases whose expected achievements never ask for confirmation left out`);
  suites.toolemu = toolemu.cases;
  return { suites, notes };
}

async function main(): Promise<void> {
  const src = resolve(process.argv[2] ?? '../shared/benchmarks');
  const out = resolve(process.argv[3] ?? 'public/benchmarks');
  await mkdir(out, { recursive: true });
  const { suites, notes } = await convertAll(src);
  for (const n of notes) process.stderr.write(n + '\n');

  const index: SuiteInfo[] = [];
  for (const [name, cases] of Object.entries(suites)) {
    const text = cases.map(serializeCase).join('\n') + '\n';
    // What we ship must load: the same parser the CLI and the page use.
    const { errors } = parseCases(text);
    if (errors.length > 0) throw new Error(`${name}: ${errors.length} invalid cases, first: line ${errors[0]!.line} ${errors[0]!.field}: ${errors[0]!.message}`);
    await writeFile(join(out, `${name}.jsonl`), text);
    await writeFile(join(out, `${name}.LICENSE`), await readFile(join(src, name, 'LICENSE')));
    const categories = [...new Set(cases.map((c) => c.category ?? 'none'))];
    index.push({ name, file: `${name}.jsonl`, count: cases.length, categories, ...SUITE_META[name]! });
    process.stderr.write(`${name}: ${cases.length} cases, ${(text.length / 1e6).toFixed(2)} MB\n`);
  }
  await writeFile(join(out, 'index.json'), JSON.stringify(index, null, 2) + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`convert-benchmarks: ${errorMessage(e)}\n`);
    process.exitCode = 1;
  });
}
