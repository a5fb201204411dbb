// Hostile or careless input to the CLI: a downloaded run folder is not a program, Ctrl-C works while a reward
// loops, a diverged run keeps the last good checkpoint, and nothing is overwritten without --force.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/core/config';
import { chooseBackend } from '../../src/ml/backend';
import { saveCheckpointDir } from '../../src/ml/checkpoint-node';
import { TransformerLM } from '../../src/ml/model';
import { trainTokenizer } from '../../src/ml/tokenizer';

const run = promisify(execFile);
const ARGS = ['--import', 'tsx', 'src/cli/main.ts'];

async function asp(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...ARGS, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

/** A run folder as someone might hand it over: a tiny model with the given reward, GRPO not yet begun. */
async function runFolder(customReward: string | null, progress: unknown = { sftStepsDone: 0, grpoIterationsDone: 0 }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'asp-hostile-'));
  const tokenizer = trainTokenizer(['<|user|>read the file<|end|>', 'read the mail, read the file'], { vocabSize: 290 });
  const model = new TransformerLM({ vocabSize: tokenizer.vocabSize, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, contextLength: 512, seed: 3 });
  const config = parseRunConfig({
    ...(customReward === null ? {} : { reward: 'custom', customReward }),
    sft: { steps: 0 },
    grpo: { iterations: 1, episodesPerIteration: 1, groupSize: 2, maxNewTokens: 8 },
  });
  await saveCheckpointDir(dir, model, tokenizer, { meta: { config, progress: progress as never } });
  model.dispose();
  return dir;
}

beforeAll(async () => {
  await chooseBackend({ prefer: 'cpu' });
});

describe('custom reward code in a run folder or config', () => {
  it('does not run without --allow-reward-code, and with it runs with no access to the process or files', async () => {
    const target = join(await mkdtemp(join(tmpdir(), 'asp-target-')), 'pwned');
    const dir = await runFolder(
      `() => { process.getBuiltinModule('node:fs').writeFileSync(${JSON.stringify(target)}, 'x'); return { total: 0, components: {} }; }`,
    );
    const manifest = await readFile(join(dir, 'manifest.json'), 'utf8');

    const refused = await asp('train', '--resume', dir, '--backend', 'cpu');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/manifest\.json \(meta\.config\.customReward\) carries custom reward code; it runs only with --allow-reward-code/);
    expect(existsSync(target)).toBe(false);
    expect(await readFile(join(dir, 'manifest.json'), 'utf8')).toBe(manifest);

    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ reward: 'custom', customReward: '() => ({ total: 1, components: {} })' }));
    const fromConfig = await asp('train', '--config', config, '--out', join(dir, 'new'));
    expect(fromConfig.code).toBe(2);
    expect(fromConfig.stderr).toMatch(/config .*config\.json \(customReward\) carries custom reward code/);
    expect(existsSync(join(dir, 'new'))).toBe(false);

    const isolated = await asp('train', '--resume', dir, '--backend', 'cpu', '--allow-reward-code');
    expect(isolated.code).toBe(1);
    expect(isolated.stderr).toMatch(/custom reward threw on episode \S+: process is not defined/);
    expect(existsSync(target)).toBe(false);
  }, 120_000);

  it('Ctrl-C stops a run whose reward loops, and saves where it stood', async () => {
    const dir = await runFolder('() => { while (true) {} }');
    const child = spawn(process.execPath, [...ARGS, 'train', '--resume', dir, '--backend', 'cpu', '--allow-reward-code', '--reward-timeout-ms', '60000']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        // Ctrl-C is handled once training has begun (before it, there is nothing to save and the default applies).
        if (stderr.includes('Ctrl-C stops after the current step')) (clearInterval(poll), resolve());
      }, 50);
    });
    await new Promise((r) => setTimeout(r, 4000)); // the rollouts are done by now: the reward is looping
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    expect(stderr).toMatch(/saved resumable checkpoint/);
    expect(code).toBe(130);
    const meta = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')).meta;
    expect(meta.progress).toEqual({ sftStepsDone: 0, grpoIterationsDone: 0 });
  }, 60_000);

  it('a run whose loss turns NaN stops with a clear error and keeps the last checkpoint', async () => {
    const dir = await runFolder('() => ({ total: 1e308, components: {} })');
    const weights = await readFile(join(dir, 'weights.bin'));
    const res = await asp('train', '--resume', dir, '--backend', 'cpu', '--allow-reward-code');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/asp: training diverged: GRPO iteration 1: loss is NaN; stopped without saving/);
    expect(await readFile(join(dir, 'weights.bin'))).toEqual(weights);
    expect(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')).meta.progress.grpoIterationsDone).toBe(0);
  }, 120_000);
});

describe('nothing is overwritten without --force', () => {
  it('train --out on a folder that holds a run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-out-'));
    await writeFile(join(dir, 'metrics.jsonl'), '{"phase":"sft","step":10}\n');
    const res = await asp('train', '--out', dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/already holds a run \(metrics\.jsonl\); continue it with --resume .*or pass --force to replace it/);
    expect(await readFile(join(dir, 'metrics.jsonl'), 'utf8')).toBe('{"phase":"sft","step":10}\n');
    // --force with a config that would not start clears nothing.
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ grpo: { groupSize: 1 } }));
    expect((await asp('train', '--out', dir, '--force', '--config', bad)).code).toBe(2);
    expect(await readFile(join(dir, 'metrics.jsonl'), 'utf8')).toBe('{"phase":"sft","step":10}\n');
  });

  it('train --out --force replaces the run (metrics not appended) and says when the vocabulary came out smaller', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-force-'));
    await writeFile(join(dir, 'metrics.jsonl'), '{"phase":"old"}\n');
    const config = join(await mkdtemp(join(tmpdir(), 'asp-cfg-')), 'c.json');
    const model = { vocabSize: 32768, dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, contextLength: 256 };
    await writeFile(config, JSON.stringify({ model, sft: { steps: 1, batchSize: 2 }, grpo: { iterations: 0 } }));
    const res = await asp('train', '--config', config, '--out', dir, '--force', '--backend', 'cpu');
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/note: model\.vocabSize 32768 asked, but the tokenizer's corpus yields \d+ tokens: the model uses \d+/);
    expect(await readFile(join(dir, 'metrics.jsonl'), 'utf8')).not.toContain('"old"');
  }, 120_000);

  it('train --resume on a shipped checkpoint', async () => {
    const res = await asp('train', '--resume', 'public/checkpoints/base');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/is a shipped checkpoint: resuming would train it in place; copy it first/);
  });

  it('eval --out on its own input, or on an existing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-eval-'));
    const cases = join(dir, 'cases.jsonl');
    const made = await asp('scenarios', '--split', 'test', '--n', '2', '--format', 'cases');
    await writeFile(cases, made.stdout);
    const same = await asp('eval', '--policy', 'expected', '--cases', cases, '--out', cases, '--force');
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/is also an input of this command/);
    expect(await readFile(cases, 'utf8')).toBe(made.stdout);
    const other = join(dir, 'results.jsonl');
    await writeFile(other, 'keep me\n');
    expect((await asp('eval', '--policy', 'expected', '--cases', cases, '--out', other)).stderr).toMatch(/results\.jsonl exists \(a file\); .*--force/);
    expect(await readFile(other, 'utf8')).toBe('keep me\n');
    expect((await asp('eval', '--policy', 'expected', '--cases', cases, '--out', other, '--force')).code).toBe(0);
    expect(await readFile(other, 'utf8')).not.toBe('keep me\n');
  });

  it('export --out on a folder with files of the same names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-export-'));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'asp_reward.py'), '# mine\n');
    const res = await asp('export', '--format', 'trl', '--n', '2', '--out', dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/asp_reward\.py exists \(a file\)/);
    expect(await readFile(join(dir, 'asp_reward.py'), 'utf8')).toBe('# mine\n');
    expect((await asp('export', '--format', 'trl', '--n', '2', '--out', dir, '--force')).code).toBe(0);
  });
});

describe('one line cannot hang the program', () => {
  it('a tool schema pattern that backtracks exponentially (case file and transcript)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-redos-'));
    const arg = 'a'.repeat(35) + 'b';
    const tool = {
      name: 'lookup',
      description: 'Look a code up.',
      parameters: { type: 'object', properties: { code: { type: 'string', pattern: '^(a|a)*$' } }, required: ['code'] },
      sensitive: false,
    };
    const cases = join(dir, 'cases.jsonl');
    const line = { id: 'redos', tools: [tool], messages: [{ role: 'user', content: 'Look up my code.' }], labels: { user: 'benign', tool: 'none' }, expected: 'execute', expected_call: { name: 'lookup', arguments: { code: arg } } };
    const lookahead = { ...line, id: 'lookahead', tools: [{ ...tool, parameters: { ...tool.parameters, properties: { code: { type: 'string', pattern: '^(?=(a|a)*$)' } } } }] };
    await writeFile(cases, [line, { ...line, id: 'ok', expected_call: { name: 'lookup', arguments: { code: 'aaa' } } }, lookahead].map((l) => JSON.stringify(l)).join('\n') + '\n');
    const started = performance.now();
    const res = await asp('eval', '--policy', 'expected', '--cases', cases);
    expect(res.stderr).toMatch(/cases\.jsonl:1: expected_call/);
    expect(res.stderr).toMatch(/cases\.jsonl:3: tools\[0\]\.parameters: .*uses a lookaround or backreference/);
    expect(res.code).toBe(0); // the other case still runs
    expect(performance.now() - started).toBeLessThan(60_000);

    const episode = JSON.parse((await asp('scenarios', '--split', 'test', '--n', '1')).stdout);
    episode.tools = [tool];
    const transcripts = join(dir, 'transcripts.jsonl');
    const turn = `<think>Look it up.</think><tool_call>{"name": "lookup", "arguments": {"code": "${arg}"}}</tool_call><|end|>`;
    await writeFile(transcripts, JSON.stringify({ episode, turns: [turn] }) + '\n');
    const replay = await asp('eval', '--transcripts', transcripts);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout.trim().split('\n')[0] as string)).toMatchObject({ line: 1 });
  }, 150_000);
});

describe('huge counts and odd transcript lines', () => {
  it('a transcript naming episode 10,000,000 is replayed at once; null, partial and out-of-range lines are named, not crashes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-index-'));
    const file = join(dir, 'transcripts.jsonl');
    const turn = '<think>No.</think><refuse>I will not do that.</refuse><|end|>';
    await writeFile(
      file,
      [
        JSON.stringify({ split: 'test', seed: 1, index: 10_000_000, turns: [turn] }),
        'null',
        JSON.stringify({ split: 'test', seed: 1, index: 1e15, turns: [turn] }),
        JSON.stringify({ episode: { tools: [], user: 'hi', world: {} }, turns: [turn] }),
        '[1, 2]',
        JSON.stringify({ episode: { id: 'x', tools: [], user: 'hi', world: {}, labels: { user: 'benign', tool: 'none' } }, turns: [turn] }),
      ].join('\n') + '\n',
    );
    const started = performance.now();
    const res = await asp('eval', '--transcripts', file);
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout.trim().split('\n')[0] as string)).toMatchObject({ line: 1, episode_id: 'test-1-10000000' });
    expect(res.stderr).toMatch(/transcripts\.jsonl:2: not a JSON object/);
    expect(res.stderr).toMatch(/transcripts\.jsonl:3: give "episode", or .*"index" \(an integer from 0 to 4294967295\)/);
    expect(res.stderr).toMatch(/transcripts\.jsonl:4: episode: not an episode/);
    expect(res.stderr).toMatch(/transcripts\.jsonl:5: not a JSON object/);
    expect(res.stderr).toMatch(/transcripts\.jsonl:6: episode: cannot be replayed \(EpisodeSession: seed must be a finite number/);
  }, 120_000);

  it('--n is bounded', async () => {
    const res = await asp('scenarios', '--n', '10000000');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--n must be an integer in \[1, 100000\]/);
  });
});

describe('bad run state and configs', () => {
  it.each([
    ['"abc"', /meta\.progress: /],
    ['{ "sftStepsDone": -1, "grpoIterationsDone": 0 }', /meta\.progress\.sftStepsDone: /],
    ['{ "sftStepsDone": 0, "grpoIterationsDone": "x" }', /meta\.progress\.grpoIterationsDone: /],
    ['{ "sftStepsDone": 0, "grpoIterationsDone": 5 }', /meta\.progress\.grpoIterationsDone: /],
  ])('meta.progress %s is refused before anything is trained or written', async (progress, message) => {
    const dir = await runFolder(null, JSON.parse(progress));
    const manifest = await readFile(join(dir, 'manifest.json'), 'utf8');
    const res = await asp('train', '--resume', dir, '--backend', 'cpu');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(existsSync(join(dir, 'base'))).toBe(false);
    expect(await readFile(join(dir, 'manifest.json'), 'utf8')).toBe(manifest);
  });

  it.each([
    [{ model: { contextLength: 16 } }, /model\.contextLength: contextLength must be at least 256 tokens/],
    [{ grpo: { klCoef: 1e308 } }, /grpo\.klCoef/],
  ])('config %j is refused, naming the field', async (config, message) => {
    const file = join(await mkdtemp(join(tmpdir(), 'asp-cfg-')), 'c.json');
    await writeFile(file, JSON.stringify(config));
    const res = await asp('train', '--config', file, '--out', join(tmpdir(), 'never-written'));
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });
});

describe('crash inputs', () => {
  it('terminal escape sequences from the input are printed as visible escapes', async () => {
    const res = await asp('\u001b]0;pwned\u0007\u001b[2J');
    expect(res.stderr).toContain("unknown command '\\x1b]0;pwned\\x07\\x1b[2J'");
    const file = join(await mkdtemp(join(tmpdir(), 'asp-esc-')), 't.jsonl');
    await writeFile(file, '{"transcript": "\u001b[31mred", "split": "test", "seed": 1, "index": "\u001b[2J"}\n[\u001b]\n');
    const replay = await asp('eval', '--transcripts', file);
    expect(replay.stderr).not.toContain('\u001b');
    expect(replay.stderr).toMatch(/t\.jsonl:2: invalid JSON: .*\\x1b/);
  });

  it('asp __proto__ is an unknown command', async () => {
    const res = await asp('__proto__');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/unknown command '__proto__'/);
  });
});
