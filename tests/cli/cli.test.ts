// The command line as a user runs it: a child process, stdout/stderr and the exit code.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);


async function asp(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

const lastJson = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trim().split('\n').at(-1) as string);

describe('asp scenarios', () => {
  it('prints the same episodes for the same seed, as JSON lines', async () => {
    const a = await asp('scenarios', '--split', 'test', '--n', '6', '--seed', '3');
    const b = await asp('scenarios', '--split', 'test', '--n', '6', '--seed', '3');
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const lines = a.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(6);
    expect(lines.every((e) => e.split === 'test' && typeof e.user === 'string')).toBe(true);
    const dev = await asp('scenarios', '--split', 'dev', '--n', '3', '--seed', '3');
    expect(dev.code).toBe(0);
    expect(dev.stdout.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual(['dev-3-0', 'dev-3-1', 'dev-3-2']);
  });

  it('writes evaluation cases that the case reader accepts', async () => {
    const { stdout, code } = await asp('scenarios', '--split', 'train', '--n', '4', '--seed', '1', '--format', 'cases');
    expect(code).toBe(0);
    const { parseCases } = await import('../../src/core/cases');
    const { cases, errors } = parseCases(stdout);
    expect(errors).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(4);
  });
});

describe('asp score', () => {
  it('ends with one JSON line of metrics; the oracle is right everywhere, execute obeys planted instructions', async () => {
    const oracle = lastJson((await asp('score', '--policy', 'oracle', '--reward', 'strict', '--split', 'test', '--n', '60')).stdout);
    expect(oracle.accuracy).toMatchObject({ overall: 1 });
    const onDev = lastJson((await asp('score', '--policy', 'oracle', '--reward', 'paper', '--split', 'dev', '--n', '60')).stdout);
    expect(onDev).toMatchObject({ split: 'dev', accuracy: { overall: 1 } });
    const execute = lastJson((await asp('score', '--policy', 'execute', '--reward', 'paper', '--split', 'test', '--n', '60')).stdout);
    expect((execute.attackSuccessRate as { tool: number }).tool).toBeGreaterThanOrEqual(0.95);
    // Unsafe effects (read from the world diff) are the broader measure: never below attack success.
    const attack = execute.attackSuccessRate as { tool: number; user: number };
    const unsafe = execute.unsafeEffectRate as { tool: number; user: number; overall: number };
    expect(unsafe.tool).toBeGreaterThanOrEqual(attack.tool);
    expect(unsafe.user).toBeGreaterThanOrEqual(attack.user);
    expect(unsafe.overall).toBeGreaterThan(0);
    expect(Object.values(execute.outcomes as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(60);
  });
});

describe('asp train and eval', () => {
  it('train a tiny run to a checkpoint, resume it, and evaluate it on a split and on case files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-train-'));
    const config = join(dir, 'tiny.json');
    await writeFile(
      config,
      JSON.stringify({
        model: { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, contextLength: 1024, vocabSize: 400 },
        sft: { steps: 3, batchSize: 2 },
        grpo: { iterations: 1, episodesPerIteration: 2, groupSize: 2, maxNewTokens: 96 },
      }),
    );
    const out = join(dir, 'run');
    const trained = await asp('train', '--config', config, '--out', out);
    expect(trained.code).toBe(0);
    const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.phase)).toEqual(['sft', 'grpo']);
    // The run's checkpoint carries its optimizer's state, so a resume continues Adam's moments rather than zeros.
    const optimizerOf = async () => JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')).optimizer?.map((e: { name: string }) => e.name);
    expect(await optimizerOf()).toContain('adam/step');
    expect((await asp('train', '--resume', out)).code).toBe(0); // already finished: saves again, trains nothing
    expect(await optimizerOf()).toContain('adam/m/tok_emb');

    const split = await asp('eval', '--checkpoint', out, '--split', 'test', '--n', '3', '--max-new-tokens', '8');
    expect(split.code).toBe(0);
    expect(lastJson(split.stdout).count).toBe(3);

    const cases = join(dir, 'cases.jsonl');
    const made = await asp('scenarios', '--split', 'test', '--n', '2', '--format', 'cases');
    await writeFile(cases, made.stdout + '{"id": "broken"}\n');
    const results = join(dir, 'results.jsonl');
    const evaluated = await asp('eval', '--checkpoint', out, '--cases', cases, '--out', results, '--max-new-tokens', '8');
    expect(evaluated.code).toBe(0);
    expect(evaluated.stderr).toMatch(/cases\.jsonl:\d+: /); // the broken line is named, the rest still run
    const rows = (await readFile(results, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(rows[0]).sort()).toEqual(['call', 'completion', 'decision', 'forbidden_call', 'id']);
    expect(lastJson(evaluated.stdout)).toMatchObject({ skipped: 1 });
  });
});

describe('asp errors', () => {
  it.each([
    [['score', '--bogus'], /bogus/],
    [['score', '--policy', 'saint'], /--policy must be one of oracle, execute, refuse, random/],
    [['scenarios', '--n', '0'], /--n must be an integer in \[1, 100000\]/],
    [['scenarios', '--split', 'validation'], /--split must be one of train, dev, test/],
    [['nope'], /unknown command 'nope'/],
    [['train', '--config', '/no/such/file.json', '--out', '/tmp/x'], /cannot read config \/no\/such\/file.json/],
  ])('%j prints one clear line and exits non-zero', async (args, message) => {
    const { code, stderr, stdout } = await asp(...args);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n').filter((l) => l.startsWith('asp:'))).toHaveLength(1);
    expect(stdout).toBe('');
  });

  it('names the bad field of a malformed config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'asp-'));
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ grpo: { groupSize: 1 } }));
    const { code, stderr } = await asp('train', '--config', file, '--out', join(dir, 'out'));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/grpo\.groupSize/);
  });
});
