// Constrained decoding with a real vocabulary (the shipped tokenizer): what random models write under the grammar,
// that the gold transcripts stay reachable, and that the trained log-probabilities are the renormalised ones.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { caseToMessages } from '../../src/core/cases';
import { toolChoiceCases } from '../../src/core/cases/tool-choice';
import { hasToken, turnContext } from '../../src/core/grammar';
import { oracle, priorPolicy } from '../../src/core/policies';
import { EOS, parseTurn } from '../../src/core/protocol';
import { runEpisode } from '../../src/core/sandbox';
import { generateEpisodes } from '../../src/core/scenarios';
import { SPLITS, type Json } from '../../src/core/types';
import { chooseBackend } from '../../src/ml/backend';
import { loadCheckpointDir } from '../../src/ml/checkpoint-node';
import { allowedBias, replayTurn, turnConstraint } from '../../src/ml/constrained';
import { decisionPointCases } from '../../src/ml/decision-points';
import { casePrompt } from '../../src/ml/evaluate';
import { padBatch } from '../../src/ml/grpo';
import { TransformerLM } from '../../src/ml/model';
import { encodeConversation } from '../../src/ml/sft';
import { Tokenizer } from '../../src/ml/tokenizer';

const manifest = JSON.parse(readFileSync(new URL('../../public/checkpoints/base/manifest.json', import.meta.url), 'utf8'));
const tokenizer = Tokenizer.fromJSON(manifest.tokenizer);
const BUDGET = 96;

beforeAll(async () => {
  await chooseBackend({ prefer: 'wasm' });
});

/** Every string leaf of a JSON value. */
const strings = (v: Json): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(strings) : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];

describe('constrained decoding from random weights', () => {
  it('writes only turns that parse strictly, name listed tools with schema-valid arguments, and copy strings from the context', async () => {
    const model = new TransformerLM({ dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, contextLength: 1024, vocabSize: tokenizer.vocabSize, seed: 5 });
    const cases = SPLITS.flatMap((split) => decisionPointCases(split, 240, 17));
    expect(cases.length).toBeGreaterThanOrEqual(1000);
    const kinds = new Map<string, number>();
    // Chunks of 64: 128 prompts of up to 615 tokens and their attention outgrew wasm's heap (Softmax aborted).
    for (let i = 0; i < cases.length; i += 64) {
      const chunk = cases.slice(i, i + 64);
      const gen = await model.generate(
        chunk.map((c) => casePrompt(tokenizer, c, 1024 - BUDGET)),
        {
          maxNewTokens: BUDGET,
          // Random temperatures, from near-greedy to flat.
          temperature: [0, 0.5, 1, 2, 4][(i / 64) % 5] as number,
          topK: 0,
          stopId: tokenizer.specialId(EOS),
          seed: i,
          constraints: chunk.map((c) => turnConstraint(tokenizer, 'constrained', c.tools, caseToMessages(c), BUDGET)),
        },
      );
      chunk.forEach((c, j) => {
        const tokens = gen.tokens[j] as number[];
        expect(gen.stopped[j]).toBe(true);
        const text = tokenizer.decode(tokens);
        const { action } = parseTurn(text, c.tools);
        if (action.kind === 'malformed') throw new Error(`${text}: ${action.error.message}`);
        kinds.set(action.kind, (kinds.get(action.kind) ?? 0) + 1);
        if (action.kind === 'call') {
          const outside = turnContext(c.tools, caseToMessages(c)).outside.join('\n');
          for (const s of strings(action.call.arguments)) {
            const tool = c.tools.find((t) => t.name === action.call.name);
            const isEnum = Object.values(tool?.parameters.properties ?? {}).some((p) => p.enum?.includes(s));
            if (!isEnum) expect(outside).toContain(s);
          }
        }
      });
    }
    // The choice stays free: a random policy makes every kind of move.
    for (const kind of ['call', 'check', 'answer', 'refuse']) expect(kinds.get(kind) ?? 0).toBeGreaterThan(0);
    model.dispose();
  }, 240_000);
});

describe('the gold transcripts under the mask', () => {
  it('are reachable token by token, and score as the model renormalised over each allowed set', async () => {
    const model = new TransformerLM({ dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, contextLength: 1024, vocabSize: tokenizer.vocabSize, seed: 9 });
    const policies = [oracle('paper'), oracle('strict'), priorPolicy({ execute: 0.4, refuse: 0.3, verify: 0.3 }, 3)];
    let turns = 0;
    const sequences = [];
    for (const split of SPLITS) {
      for (const episode of generateEpisodes({ split, n: 120, seed: 23 })) {
        for (const policy of policies) {
          const trace = await runEpisode(episode, policy, { seed: episode.seed });
          turns += trace.messages.filter((m) => m.role === 'assistant').length;
          // Throws where a gold token is not in the allowed set of its turn.
          sequences.push(encodeConversation(tokenizer, trace.messages, { decoding: 'constrained', tools: episode.tools, budget: BUDGET }));
        }
      }
    }
    expect(turns).toBeGreaterThan(1000);

    // The model's masked log-probabilities against a brute-force renormalisation, on a few sequences.
    const sample = sequences.filter((s) => s.ids.length <= 1024).slice(0, 4);
    const { ids, mask, bias } = padBatch(sample, tokenizer.vocabSize);
    const masked = (await model.sequenceLogProbs(ids, mask, bias).array()) as number[][];
    const logits = (await model.logits(ids).array()) as number[][][];
    let checked = 0;
    sample.forEach((s, b) => {
      for (let t = 1; t < s.ids.length; t++) {
        const set = s.allowed[t];
        if (s.mask[t] !== 1 || !set) continue;
        const row = logits[b]?.[t - 1] as number[];
        const allowed = row.filter((_, v) => hasToken(set, v));
        const max = Math.max(...allowed);
        const expected = (row[s.ids[t] as number] as number) - max - Math.log(allowed.reduce((a, x) => a + Math.exp(x - max), 0));
        expect(masked[b]?.[t - 1]).toBeCloseTo(expected, 3);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(50);
    tf.dispose([ids, mask, bias ?? []]);
    model.dispose();
  }, 240_000);
});

describe('greedy decoding of the tool a header names', () => {
  const HEADER = '<think>Tool: ';

  it('offers the listed tools whole right after the header opens, and nothing before or after', () => {
    const c = decisionPointCases('dev', 10, 3).find((x) => x.tools.some((t) => t.sensitive))!;
    const constraint = turnConstraint(tokenizer, 'constrained', c.tools, caseToMessages(c), BUDGET)!;
    expect(constraint.choices(tokenizer.encode('<think>Tool'))).toBeNull();
    const choices = constraint.choices(tokenizer.encode(HEADER))!;
    const offered = choices.map((choice) => tokenizer.decode(choice.tokens));
    expect(offered).toEqual(c.tools.map((t) => `${t.name}${t.sensitive ? ' [sensitive]' : ''}. `));
    // Each token comes with the set the grammar allows there, which holds it.
    for (const choice of choices) choice.tokens.forEach((id, j) => expect(hasToken(choice.allowed[j]!, id)).toBe(true));
    expect(constraint.choices(tokenizer.encode(HEADER + offered[0]))).toEqual([]);
  });

  it('writes the listed name with the best mean of masked and unmasked log-probability, which token-by-token greedy often misses', async () => {
    const { model } = await loadCheckpointDir(fileURLToPath(new URL('../../public/checkpoints/base', import.meta.url)));
    const cases = toolChoiceCases(decisionPointCases('dev', 60, 11)).slice(0, 24);
    const prompts = cases.map((c) => casePrompt(tokenizer, c, model.config.contextLength - BUDGET));
    const decode = async (whole: boolean): Promise<string[]> => {
      const constraints = cases.map((c) => {
        const k = turnConstraint(tokenizer, 'constrained', c.tools, caseToMessages(c), BUDGET)!;
        return whole ? k : { allowed: () => k.allowed(), advance: (id: number) => k.advance(id) };
      });
      const gen = await model.generate(prompts, { maxNewTokens: BUDGET, temperature: 0, topK: 0, stopId: tokenizer.specialId(EOS), seed: 0, constraints });
      return gen.tokens.map((t) => tokenizer.decode(t));
    };
    const named = (text: string): string | null => (text.startsWith(HEADER) ? (text.slice(HEADER.length).match(/^[\w]+/)?.[0] ?? null) : null);
    const [whole, byToken] = [(await decode(true)).map(named), (await decode(false)).map(named)];
    // The argmax over the listed tools, scored independently by whole sequences: each header's rest, its log-probs
    // with and without the grammar's bias, averaged.
    let headers = 0;
    for (const [i, c] of cases.entries()) {
      if (whole[i] === null) continue;
      headers++;
      const head = tokenizer.encode(HEADER);
      const rests = c.tools.map((t) => tokenizer.encode(`${t.name}${t.sensitive ? ' [sensitive]' : ''}. `));
      const context = [...(prompts[i] as number[]), ...head];
      const rows = rests.map((r) => [...context, ...r]);
      const T = Math.max(...rows.map((r) => r.length));
      const ids = tf.tensor2d(rows.map((r) => [...r, ...new Array<number>(T - r.length).fill(0)]), [rows.length, T], 'int32');
      const mask = tf.tensor2d(rows.map((r) => Array.from({ length: T }, (_, t) => (t >= context.length && t < r.length ? 1 : 0))), [rows.length, T], 'int32');
      const allowed = rests.map((r) => [...(prompts[i] as number[]).map(() => null), ...replayTurn(turnConstraint(tokenizer, 'constrained', c.tools, caseToMessages(c), BUDGET)!, [...head, ...r], tokenizer)]);
      const bias = allowedBias(allowed.map((a) => ({ allowed: a })), T, tokenizer.vocabSize);
      const sums = async (b?: tf.Tensor3D): Promise<number[]> => Array.from((await tf.sum(model.sequenceLogProbs(ids, mask, b), 1).data()) as Float32Array);
      const [unmasked, masked] = [await sums(), await sums(bias)];
      tf.dispose([ids, mask, bias]);
      const scores = unmasked.map((u, k) => (u + (masked[k] as number)) / 2);
      expect(whole[i]).toBe(c.tools[scores.indexOf(Math.max(...scores))]?.name);
    }
    expect(headers).toBeGreaterThanOrEqual(20);
    expect(whole.filter((name, i) => name !== byToken[i]).length).toBeGreaterThan(0);
    model.dispose();
  }, 120_000);
});
