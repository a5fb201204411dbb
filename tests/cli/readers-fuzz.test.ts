// 10,000 generated hostile inputs through the CLI's readers (case lines, transcript lines, run configs, run
// states): each one ends within its time bound with a result or a clear error naming what is wrong, never a crash,
// and reading writes nothing.
import '../../src/cli/regexp-guard'; // as the CLI does first: schema patterns cannot backtrack without bound
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args';
import { readTranscriptLine } from '../../src/cli/eval';
import { parseRunState, readConfig } from '../../src/cli/train';
import { parseCases, serializeCase } from '../../src/core/cases';
import { episodeToCases } from '../../src/core/cases/fromEpisode';
import { DEFAULT_RUN_CONFIG, parseRunConfig } from '../../src/core/config';
import { getPreset } from '../../src/core/reward';
import { generateEpisode } from '../../src/core/scenarios';

const RUNS = 2500; // per reader: 10,000 inputs in all
/** Each input's bound; generous for a loaded machine (a typical input takes well under a millisecond). */
const BOUND_MS = 2000;

/** Values a hostile file puts where a field is expected. */
const hostileValue = fc.oneof(
  fc.constantFrom<unknown>(null, true, -1, 0, 1e308, -1e308, 1e15, 2 ** 53, 0.5, '', 'abc', '__proto__', '\u001b[2J', [], {}, { __proto__: null }),
  fc.constantFrom('<|system|>', '<|end|>', '</tool_response>', '<think>', '^(a|a)*$', 'a'.repeat(40) + 'b'),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A valid object with one field (at any depth) replaced, removed, or given a hostile sibling. */
function mutate(base: unknown): fc.Arbitrary<unknown> {
  const paths: string[][] = [];
  const walk = (v: unknown, path: string[]) => {
    paths.push(path);
    if (typeof v === 'object' && v !== null && path.length < 6) {
      for (const [k, child] of Object.entries(v)) walk(child, [...path, k]);
    }
  };
  walk(base, []);
  return fc.tuple(fc.constantFrom(...paths), fc.constantFrom('set', 'delete', 'add'), hostileValue, fc.constantFrom('x', '__proto__', 'constructor')).map(
    ([path, op, value, key]) => {
      const copy = structuredClone(base) as Record<string, unknown>;
      if (path.length === 0) return op === 'set' ? value : copy;
      let at: Record<string, unknown> = copy;
      for (const k of path.slice(0, -1)) at = at[k] as Record<string, unknown>;
      const last = path[path.length - 1] as string;
      if (op === 'set') at[last] = value;
      else if (op === 'delete') delete at[last];
      else if (typeof at[last] === 'object' && at[last] !== null) Object.defineProperty(at[last], key, { value, enumerable: true });
      return copy;
    },
  );
}

/** Lines as files hold them: mutated JSON, raw text with tags and escapes, truncations. */
function lines(valid: unknown): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: mutate(valid).map((v) => JSON.stringify(v) ?? 'undefined') },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.nat({ max: 400 }).map((n) => JSON.stringify(valid).slice(0, n)) },
  );
}

function timed<T>(f: () => T): T {
  const started = performance.now();
  const out = f();
  expect(performance.now() - started).toBeLessThan(BOUND_MS);
  return out;
}

const episode = generateEpisode({ split: 'test', seed: 3, index: 7 });
const validCase = JSON.parse(serializeCase(episodeToCases(episode, 'paper')[0]!));
validCase.expected_call = { name: episode.tools[0]!.name, arguments: { code: 'abc' } };
validCase.tools[0].parameters = { type: 'object', properties: { code: { type: 'string', pattern: '^[a-z]+$' } } };

/** Schema patterns that backtrack exponentially, each with an argument that makes them try every path. */
const redosCase = fc.tuple(fc.constantFrom('^(a|a)*$', '^(a+)+$', '^(\\w+\\s?)*$', '^(a|aa)*c$', '^(?=(a|a)*$)', '^(a|a)*\\1$'), fc.integer({ min: 20, max: 60 })).map(([pattern, n]) => {
  const c = structuredClone(validCase);
  c.tools[0].parameters.properties.code.pattern = pattern;
  c.expected_call.arguments.code = 'a'.repeat(n) + '!';
  return JSON.stringify(c);
});
const turn = '<think>No.</think>I will not do that.<|end|>';

describe('the CLI readers against 10,000 generated hostile inputs', () => {
  it('case lines: every line is a case or a named error', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 9, arbitrary: lines(validCase) }, { weight: 1, arbitrary: redosCase }), (line) => {
        const { cases, errors } = timed(() => parseCases(line));
        expect(cases.length + new Set(errors.map((e) => e.line)).size).toBe(line.trim() === '' ? 0 : 1);
        for (const e of errors) expect(e.message.length).toBeGreaterThan(0);
      }),
      { numRuns: RUNS, seed: 17 },
    );
  });

  it('transcript lines: every line is replayed or named', () => {
    const opts = { preset: getPreset('paper'), maxTurns: 5, pYes: 0.5 };
    const valid = [{ split: 'test', seed: 1, index: 4, turns: [turn], checks: ['yes'] }, { episode, transcript: turn }];
    fc.assert(
      fc.property(fc.oneof(lines(valid[0]), lines(valid[1])), (line) => {
        const read = timed(() => readTranscriptLine(line, opts));
        if (read === null) expect(line.trim()).toBe('');
        else if ('error' in read) expect(read.error).toMatch(/^(invalid JSON|not a JSON object|episode: |give |checks: )/);
        else expect(Number.isFinite(read.record.reward.total)).toBe(true);
      }),
      { numRuns: RUNS, seed: 17 },
    );
  });

  it('configs: each is a valid run config or an error naming the field', () => {
    fc.assert(
      fc.property(mutate(DEFAULT_RUN_CONFIG), (config) => {
        let parsed;
        try {
          parsed = timed(() => parseRunConfig(config));
        } catch (e) {
          expect((e as Error).message).toMatch(/^invalid config at \S+: /);
          return;
        }
        expect(parseRunConfig(parsed)).toEqual(parsed); // what was accepted is a config as written back
      }),
      { numRuns: RUNS, seed: 17 },
    );
  });

  it('run states: each resumes from a checked state or fails with a UsageError naming the field; reading writes nothing', async () => {
    const state = { format: 'asp-checkpoint', meta: { config: DEFAULT_RUN_CONFIG, progress: { sftStepsDone: DEFAULT_RUN_CONFIG.sft.steps, grpoIterationsDone: 3 } } };
    fc.assert(
      fc.property(lines(state), (text) => {
        try {
          const { config, progress } = timed(() => parseRunState(text, 'run'));
          expect(progress.sftStepsDone).toBeLessThanOrEqual(config.sft.steps);
          expect(progress.grpoIterationsDone).toBeLessThanOrEqual(config.grpo.iterations);
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
          expect((e as Error).message).toMatch(/^checkpoint: run(\/manifest\.json is not valid JSON| has no run state \(| meta\.config: | meta\.progress)/);
        }
      }),
      { numRuns: RUNS - 50, seed: 17 },
    );
    // The same through the file readers, in a folder that must hold only what the test put there.
    const dir = await mkdtemp(join(tmpdir(), 'asp-fuzz-'));
    const samples = fc.sample(lines(DEFAULT_RUN_CONFIG), { numRuns: 50, seed: 17 });
    for (const [i, text] of samples.entries()) {
      const file = join(dir, `config-${i}.json`);
      await writeFile(file, text);
      await readConfig(file).catch((e: unknown) => expect(e).toBeInstanceOf(UsageError));
    }
    expect((await readdir(dir)).length).toBe(samples.length);
  });
});
