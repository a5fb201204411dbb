// Cuts the small benchmark fixture the tests convert (tests/fixtures/benchmarks) from the copies in
// ../shared/benchmarks, so `npm test` runs in a clone with no ../shared beside it. Same layout and formats as the
// source, a few records of each file: the converters run on it unchanged. Deterministic: rerunning gives the same files.
// Usage: node --import tsx scripts/cut-benchmark-fixture.ts [SOURCE_DIR [OUT_DIR]]
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

const src = resolve(process.argv[2] ?? '../shared/benchmarks');
const out = resolve(process.argv[3] ?? 'tests/fixtures/benchmarks');

type Obj = Record<string, unknown>;
const readJson = async (...p: string[]): Promise<unknown> => JSON.parse(await readFile(join(src, ...p), 'utf8'));
const readLines = async (...p: string[]): Promise<string[]> => (await readFile(join(src, ...p), 'utf8')).split('\n').filter((l) => l.trim() !== '');
async function put(rel: string, text: string): Promise<void> {
  await mkdir(dirname(join(out, rel)), { recursive: true });
  await writeFile(join(out, rel), text);
}
const json = (rel: string, v: unknown) => put(rel, JSON.stringify(v, null, 1) + '\n');
const lines = (rel: string, l: string[]) => put(rel, l.join('\n') + '\n');
async function copy(rel: string): Promise<void> {
  await mkdir(dirname(join(out, rel)), { recursive: true });
  await copyFile(join(src, rel), join(out, rel));
}

/** Per InjecAgent setting: the first cases (the tests name cases 0-3). */
const INJECAGENT_CASES = 6;
const INJECAGENT_USER_CASES = 4;

async function injecagent(): Promise<void> {
  const tests: Record<string, Obj[]> = {};
  for (const f of ['dh_base', 'dh_enhanced', 'ds_base', 'ds_enhanced']) {
    tests[f] = ((await readJson('injecagent', `test_cases_${f}.json`)) as Obj[]).slice(0, INJECAGENT_CASES);
    await json(`injecagent/test_cases_${f}.json`, tests[f]);
  }
  const users = (await readLines('injecagent', 'user_cases.jsonl')).slice(0, INJECAGENT_USER_CASES);
  await lines('injecagent/user_cases.jsonl', users);
  const all = Object.values(tests).flat();
  const instructions = new Set(all.map((t) => t['Attacker Instruction'] as string));
  for (const f of ['dh', 'ds']) {
    const kept = (await readLines('injecagent', `attacker_cases_${f}.jsonl`)).filter((l) => instructions.has((JSON.parse(l) as Obj)['Attacker Instruction'] as string));
    await lines(`injecagent/attacker_cases_${f}.jsonl`, kept);
  }
  // Every tool a kept case (or a benign twin, which borrows a direct-harm case's attacker tools) names.
  const names = new Set<string>([
    ...all.flatMap((t) => [t['User Tool'] as string, ...(t['Attacker Tools'] as string[])]),
    ...users.map((l) => (JSON.parse(l) as Obj)['User Tool'] as string),
  ]);
  const toolkits = (await readJson('injecagent', 'tools.json')) as Obj[];
  const usedKit = (k: Obj) => (k.tools as Obj[]).some((t) => names.has((k.toolkit as string) + (t.name as string)));
  await json('injecagent/tools.json', toolkits.filter(usedKit));
  const firsts = new Set(all.filter((t) => (t['Attacker Tools'] as string[]).length > 1).map((t) => (t['Attacker Tools'] as string[])[0]!));
  const sims = (await readJson('injecagent', 'attacker_simulated_responses.json')) as Obj;
  await json('injecagent/attacker_simulated_responses.json', Object.fromEntries(Object.entries(sims).filter(([k]) => firsts.has(k.slice(1, k.indexOf(','))))));
  await copy('injecagent/LICENSE');
}

/** AgentDojo: per suite, the first user tasks and injection tasks (banking keeps three of each: the tests name them). */
async function agentdojo(): Promise<void> {
  const tasks = (await readJson('agentdojo', 'agentdojo_v1.2.1_tasks.json')) as Obj[];
  const kept: Obj[] = [];
  for (const suite of [...new Set(tasks.map((t) => t.suite as string))]) {
    const n = suite === 'banking' ? 3 : 1;
    for (const kind of ['user_task', 'injection_task']) kept.push(...tasks.filter((t) => t.suite === suite && t.kind === kind).slice(0, n));
  }
  await json('agentdojo/agentdojo_v1.2.1_tasks.json', kept);
  for (const suite of ['banking', 'slack', 'travel', 'workspace']) await copy(`agentdojo/suites/${suite}/injection_vectors.yaml`);
  await copy('agentdojo/LICENSE');
}

/** BFCL: the first lines of each category the converter reads, with their possible answers. */
async function bfcl(): Promise<void> {
  for (const [file, n] of [['simple_python', 8], ['multiple', 8], ['irrelevance', 5]] as const) {
    const kept = (await readLines('bfcl', `BFCL_v4_${file}.json`)).slice(0, n);
    await lines(`bfcl/BFCL_v4_${file}.json`, kept);
    if (file === 'irrelevance') continue;
    const ids = new Set(kept.map((l) => (JSON.parse(l) as Obj).id));
    await lines(`bfcl/possible_answer/BFCL_v4_${file}.json`, (await readLines('bfcl', 'possible_answer', `BFCL_v4_${file}.json`)).filter((l) => ids.has((JSON.parse(l) as Obj).id)));
  }
  await copy('bfcl/LICENSE');
}

/** ToolEmu: the first cases (some kept as verify cases, some left out) and the toolkits they use. */
async function toolemu(): Promise<void> {
  const cases = ((await readJson('toolemu', 'all_cases.json')) as Obj[]).slice(0, 10);
  await json('toolemu/all_cases.json', cases);
  const kits = new Set(cases.flatMap((c) => c.Toolkits as string[]));
  await json('toolemu/all_toolkits.json', ((await readJson('toolemu', 'all_toolkits.json')) as Obj[]).filter((k) => kits.has(k.toolkit as string)));
  await copy('toolemu/LICENSE');
}

await injecagent();
await agentdojo();
await bfcl();
await toolemu();
process.stderr.write(`benchmark fixture written to ${out}\n`);
