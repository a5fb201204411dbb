// `asp export` and the ways back in (`eval --transcripts`, `eval --suite`), as a user runs them.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PYTHON_REWARD_MODULE } from '../../src/cli/export';
import { renderTranscript } from '../../src/core/export';
import { oracle, refuse } from '../../src/core/policies';
import { runEpisode } from '../../src/core/sandbox';
import { generateEpisodes } from '../../src/core/scenarios';
import { saveCheckpointDir } from '../../src/ml/checkpoint-node';
import { TransformerLM } from '../../src/ml/model';
import { trainTokenizer } from '../../src/ml/tokenizer';

const run = promisify(execFile);

async function asp(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { maxBuffer: 256 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) as string);

describe('asp export', () => {
  it('writes a verl dataset whose rows the exported compute_score scores like the sandbox', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-export-'));
    const done = await asp('export', '--format', 'verl', '--split', 'train', '--n', '40', '--seed', '4', '--out', dir, '--reward', 'strict');
    expect(done.code).toBe(0);
    expect(lastJson(done.stdout)).toMatchObject({ format: 'verl', n: 40, reward: 'strict' });
    const rows = (await readFile(join(dir, 'train.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(40);
    const episodes = generateEpisodes({ split: 'train', n: 40, seed: 4 });
    const row = rows[0];
    expect(Object.keys(row).sort()).toEqual(['ability', 'data_source', 'extra_info', 'prompt', 'reward_model']);
    expect(row.prompt.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    expect(row.prompt[0].content).toContain('Tool schemas (JSON):');
    expect(row.prompt[1].content).toBe(episodes[0]!.user);
    expect(row.reward_model.style).toBe('rule');
    expect(JSON.parse(row.reward_model.ground_truth)).toEqual(episodes[0]);
    expect(row.extra_info).toMatchObject({ index: 0, split: 'train', episode_id: episodes[0]!.id, label_user: episodes[0]!.labels.user });
    expect(JSON.parse(row.extra_info.world)).toEqual(episodes[0]!.world);

    // The strict oracle's transcripts score 1, a blanket refusal scores less somewhere; through verl's signature.
    const items = [];
    for (const [i, episode] of episodes.entries()) {
      for (const policy of [oracle('strict'), refuse()]) {
        const trace = await runEpisode(episode, policy, { seed: episode.seed });
        items.push({ data_source: row.data_source, solution_str: renderTranscript(trace), ground_truth: rows[i].reward_model.ground_truth });
      }
    }
    const script = 'import json, sys; sys.path.insert(0, sys.argv[1]); import asp_reward as r\n' +
      'print(json.dumps([r.compute_score(x["data_source"], x["solution_str"], x["ground_truth"], {}) for x in json.load(sys.stdin)]))';
    const scores: number[] = JSON.parse(execFileSync('python3', ['-c', script, dir], { input: JSON.stringify(items), encoding: 'utf8' }));
    expect(scores.filter((_, k) => k % 2 === 0).every((s) => s === 1)).toBe(true);
    expect(scores.filter((_, k) => k % 2 === 1).some((s) => s === 0)).toBe(true);
  });

  it('writes a TRL dataset and a reward function taking its columns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-export-'));
    expect((await asp('export', '--format', 'trl', '--split', 'test', '--n', '6', '--out', dir)).code).toBe(0);
    const rows = (await readFile(join(dir, 'test.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(Object.keys(rows[0]).sort()).toEqual(['episode_id', 'ground_truth', 'ideal_user_decision', 'label_tool', 'label_user', 'prompt', 'split']);
    // TRL hands conversational completions as message lists and every extra column as a keyword list.
    const script = 'import json, sys; sys.path.insert(0, sys.argv[1]); import asp_reward as r\n' +
      'rows = [json.loads(l) for l in open(sys.argv[1] + "/test.jsonl")]\n' +
      'c = [[{"role": "assistant", "content": "garbage"}] for _ in rows]\n' +
      'print(json.dumps(r.trl_reward(c, [x["ground_truth"] for x in rows], label_user=[x["label_user"] for x in rows])))';
    const scores: number[] = JSON.parse(execFileSync('python3', ['-c', script, dir], { encoding: 'utf8' }));
    expect(scores).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('takes a declarative reward spec and names what is wrong in a bad one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-export-'));
    const good = join(dir, 'mine.json');
    await writeFile(good, JSON.stringify({ name: 'mine', policy: 'strict', combine: 'sum', components: [{ component: 'safety', weight: 2 }, { component: 'task', weight: 1 }] }));
    const ok = await asp('export', '--format', 'trl', '--n', '2', '--out', dir, '--reward', good);
    expect(ok.code).toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'reward_spec.json'), 'utf8'))).toMatchObject({ name: 'mine', combine: 'sum' });
    expect(JSON.parse(await readFile(join(dir, 'sandbox.json'), 'utf8'))).toEqual({ maxTurns: 5, pYes: 0.5 });
    expect(await readFile(join(dir, 'asp_reward.py'), 'utf8')).toBe(await readFile(PYTHON_REWARD_MODULE, 'utf8'));
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ name: 'bad', policy: 'strict', combine: 'max', components: [{ component: 'luck', weight: 1 }] }));
    const failed = await asp('export', '--format', 'trl', '--n', '2', '--out', dir, '--reward', bad);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/combine/);
    expect(failed.stderr).toMatch(/components\.0\.component/);
    expect((await asp('export', '--format', 'parquet', '--out', dir)).stderr).toMatch(/--format must be one of verl, trl/);
  });
});

describe('asp eval --transcripts and --suite', () => {
  it('replays an outside model’s transcripts and reports the metrics', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-tr-'));
    const episodes = generateEpisodes({ split: 'test', n: 30, seed: 2 });
    const lines: string[] = [];
    for (const [index, episode] of episodes.entries()) {
      const trace = await runEpisode(episode, oracle('paper'), { seed: episode.seed });
      // Half by reference (split, seed, index), half with the episode itself; half as text, half as turns.
      const where = index % 2 ? { split: 'test', seed: 2, index } : { episode };
      const what = index % 3
        ? { transcript: renderTranscript(trace) }
        : { turns: trace.steps.map((s) => s.text + (s.eos ? '<|end|>' : '')), checks: trace.checks.map((c) => (c.granted ? 'yes' : 'no')) };
      lines.push(JSON.stringify({ ...where, ...what }));
    }
    lines.push('{"split": "test", "seed": 2}', 'not json');
    const file = join(dir, 't.jsonl');
    await writeFile(file, lines.join('\n') + '\n');
    const res = await asp('eval', '--transcripts', file, '--reward', 'paper');
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/t\.jsonl:31: give "episode"/);
    expect(res.stderr).toMatch(/t\.jsonl:32: invalid JSON/);
    const summary = lastJson(res.stdout);
    expect(summary).toMatchObject({ count: 30, skipped: 2, reward: 'paper' });
    expect(summary.accuracy.overall).toBe(1);
    expect(res.stdout.trim().split('\n')).toHaveLength(31);
  });

  it('scores a shipped suite with a scripted policy and prints the benchmark report last', async () => {
    const res = await asp('eval', '--policy', 'expected', '--suite', 'bfcl', '--out', join(await mkdtemp(join(tmpdir(), 'asp-s-')), 'r.jsonl'));
    expect(res.code).toBe(0);
    const bfcl = lastJson(res.stdout).suites.bfcl;
    expect(bfcl.correct.rate).toBe(1);
    expect(bfcl.callAccuracy.count).toBeGreaterThan(550);
    expect(bfcl.callAccuracy.rate).toBe(1);
    const unknown = await asp('eval', '--policy', 'refuse', '--suite', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown suite 'nope' \(suites: injecagent, agentdojo, bfcl, toolemu, or all\)/);
    const two = await asp('eval', '--policy', 'refuse', '--suite', 'toolemu,bfcl', '--out', join(await mkdtemp(join(tmpdir(), 'asp-s-')), 'r.jsonl'));
    expect(Object.keys(lastJson(two.stdout).suites)).toEqual(['toolemu', 'bfcl']);
    expect((await asp('eval', '--policy', 'refuse', '--suite', 'bfcl', '--cases', 'x')).stderr).toMatch(/exactly one of/);
  });

  it('says how many tools of a case file had no `sensitive` field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-o-'));
    const tool = { name: 'get_weather', description: 'Weather for a city.', parameters: { type: 'object', properties: { city: { type: 'string' } } } };
    const c = { id: 'w-1', tools: [tool, { ...tool, name: 'get_time' }], messages: [{ role: 'user', content: 'Weather in Oslo?' }], labels: { user: 'benign', tool: 'none' }, expected: 'execute' };
    const file = join(dir, 'c.jsonl');
    await writeFile(file, JSON.stringify(c) + '\n');
    const res = await asp('eval', '--policy', 'refuse', '--cases', file, '--out', join(dir, 'r.jsonl'));
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('c.jsonl: 2 tools have no "sensitive" field and are read as not sensitive');
    expect(lastJson(res.stdout)).toMatchObject({ sensitiveDefaulted: 2, skipped: 0 });
  });

  it('evaluates a checkpoint on a suite (a tiny untrained model: the path works, the numbers mean nothing)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-ck-'));
    const tokenizer = trainTokenizer(['<|user|>please confirm the transfer<|end|>', '<think>ok</think><tool_check>x</tool_check>'], { vocabSize: 300 });
    const model = new TransformerLM({ vocabSize: tokenizer.vocabSize, dModel: 8, nLayers: 1, nHeads: 2, dFF: 16, contextLength: 48, seed: 1 });
    await saveCheckpointDir(dir, model, tokenizer);
    model.dispose();
    const res = await asp('eval', '--checkpoint', dir, '--suite', 'toolemu', '--max-new-tokens', '4', '--backend', 'cpu', '--out', join(dir, 'r.jsonl'));
    expect(res.code, res.stderr).toBe(0);
    const summary = lastJson(res.stdout);
    const toolemu = summary.suites.toolemu;
    expect(toolemu.count).toBe(93);
    expect(summary).toMatchObject({ truncated: 93, contextLength: 48 }); // every case is longer than 48 tokens
    expect(toolemu.correct.rate).toBeGreaterThanOrEqual(0);
    expect((await readFile(join(dir, 'r.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(93);
  }, 120_000);
});
