import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';

// Lets a test make the n-th file write fail, as a kill part way through a save would.
const writes = vi.hoisted(() => ({ failAt: 0, count: 0 }));
vi.mock('node:fs/promises', async (original) => {
  const real = await original<typeof import('node:fs/promises')>();
  return {
    ...real,
    writeFile: (...args: Parameters<typeof real.writeFile>) => {
      if (writes.failAt > 0 && ++writes.count === writes.failAt) return Promise.reject(new Error('killed'));
      return real.writeFile(...args);
    },
  };
});
import { chooseBackend } from '../../src/ml/backend';
import { deserializeCheckpoint, serializeCheckpoint, type Checkpoint } from '../../src/ml/checkpoint';
import { loadCheckpointDir, saveCheckpointDir } from '../../src/ml/checkpoint-node';
import { TransformerLM } from '../../src/ml/model';
import { trainTokenizer, type Tokenizer } from '../../src/ml/tokenizer';

describe('checkpoints', () => {
  let tokenizer: Tokenizer;
  let model: TransformerLM;
  let ckpt: Checkpoint;
  let dir: string;

  beforeAll(async () => {
    await chooseBackend();
    tokenizer = trainTokenizer(['<|user|>read the file<|end|>', 'read the mail, read the file'], { vocabSize: 290 });
    model = new TransformerLM({ vocabSize: tokenizer.vocabSize, dModel: 8, nLayers: 1, nHeads: 2, dFF: 16, contextLength: 16, seed: 5 });
    ckpt = await serializeCheckpoint(model, tokenizer, { metrics: { reward: 0.5 }, meta: { config: { seed: 3 }, progress: { sftStepsDone: 3, grpoIterationsDone: 1 } } });
    dir = await mkdtemp(join(tmpdir(), 'asp-ckpt-'));
  });
  afterAll(async () => {
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const expectSameModel = async (a: TransformerLM, b: TransformerLM): Promise<void> => {
    expect(await b.getWeights()).toEqual(await a.getWeights());
    expect(b.config).toEqual(a.config);
  };

  test('in-memory round trip keeps weights, config, tokenizer, metrics and meta', async () => {
    const back = deserializeCheckpoint(JSON.parse(JSON.stringify(ckpt.manifest)), ckpt.weights);
    await expectSameModel(model, back.model);
    expect(back.tokenizer.toJSON()).toEqual(tokenizer.toJSON());
    expect(back.manifest.metrics).toEqual({ reward: 0.5 });
    expect(back.manifest.meta).toEqual({ config: { seed: 3 }, progress: { sftStepsDone: 3, grpoIterationsDone: 1 } });
    expect(back.model.variables.every((v) => v.trainable)).toBe(true);
    expect(deserializeCheckpoint(ckpt.manifest, ckpt.weights, { trainable: false }).model.variables[0]?.trainable).toBe(false);
  });

  test('an ALiBi model round-trips without position embeddings; a manifest without `positions` is a learned-positions one', async () => {
    const alibi = new TransformerLM({ ...model.config, positions: 'alibi' });
    const saved = await serializeCheckpoint(alibi, tokenizer);
    expect(saved.manifest.weights.map((w) => w.name)).not.toContain('pos_emb');
    await expectSameModel(alibi, deserializeCheckpoint(saved.manifest, saved.weights).model);
    expect(ckpt.manifest.config.positions).toBeUndefined();
    expect(deserializeCheckpoint(ckpt.manifest, ckpt.weights).model.config.positions).toBeUndefined();
    // Weights of one scheme do not load as the other.
    expect(() => deserializeCheckpoint({ ...ckpt.manifest, config: { ...ckpt.manifest.config, positions: 'alibi' } }, ckpt.weights)).toThrow(/pos_emb/);
    alibi.dispose();
  });

  test('folder round trip (Node helpers)', async () => {
    await saveCheckpointDir(dir, model, tokenizer, { metrics: { ok: true } });
    const back = await loadCheckpointDir(dir);
    await expectSameModel(model, back.model);
    expect(back.manifest.metrics).toEqual({ ok: true });
  });

  test('wrong or corrupt checkpoints fail with a message naming the problem', async () => {
    const m = ckpt.manifest;
    const w0 = m.weights[0]!;
    const bad = (manifest: unknown, weights = ckpt.weights) => () => deserializeCheckpoint(manifest, weights);
    const count = tf.memory().numTensors;
    expect(bad('{"format": ')).toThrow(/checkpoint: the manifest is not valid JSON/);
    expect(bad({ ...m, format: 'tfjs-layers' })).toThrow(/not an asp-checkpoint manifest \(format is "tfjs-layers"\)/);
    expect(bad({ ...m, version: 2 })).toThrow(/version 2 is not supported/);
    expect(bad({ ...m, config: { ...m.config, dModel: 'x' } })).toThrow(/invalid manifest at config.dModel/);
    expect(bad({ ...m, weights: m.weights.slice(1) })).toThrow(/checkpoint: .*missing weight tok_emb/);
    expect(bad({ ...m, weights: [...m.weights, { ...w0, name: 'extra' }] })).toThrow(/unknown weight extra/);
    expect(bad({ ...m, weights: [...m.weights, w0] })).toThrow(/weight tok_emb is listed twice/);
    expect(bad({ ...m, weights: [{ ...w0, length: 8 }, ...m.weights.slice(1)] })).toThrow(/tok_emb of shape \[\d+,8\] needs \d+ bytes, the manifest says 8/);
    expect(bad(m, ckpt.weights.slice(0, 100))).toThrow(/weights file has 100 bytes \(truncated\?\)/);
    expect(bad({ ...m, tokenizer: { ...m.tokenizer, merges: [] } })).toThrow(`tokenizer has 275 tokens but config.vocabSize is ${tokenizer.vocabSize}`);
    const nan = ckpt.weights.slice(0);
    new Float32Array(nan)[w0.length / 4] = NaN; // first value of the second weight
    expect(bad(m, nan)).toThrow(/checkpoint: .*pos_emb contains NaN/);
    expect(tf.memory().numTensors).toBe(count); // a failed load leaves no model behind
    await expect(loadCheckpointDir(join(dir, 'nowhere'))).rejects.toThrow(/cannot read .*nowhere.manifest\.json \(no such file\)/);
    await writeFile(join(dir, 'manifest.json'), 'not json');
    await expect(loadCheckpointDir(dir)).rejects.toThrow(/not valid JSON/);
  });
});

describe('checkpoint folders against hostile input', () => {
  let tokenizer: Tokenizer;
  let dir: string;
  const tiny = (seed: number) => new TransformerLM({ vocabSize: tokenizer.vocabSize, dModel: 8, nLayers: 1, nHeads: 2, dFF: 16, contextLength: 16, seed });

  beforeAll(async () => {
    await chooseBackend();
    tokenizer = trainTokenizer(['read the file'], { vocabSize: 280 });
    dir = await mkdtemp(join(tmpdir(), 'asp-ckpt-hostile-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a save that fails part way leaves the previous checkpoint whole', async () => {
    const old = tiny(1);
    const meta = (sftStepsDone: number) => ({ config: {}, progress: { sftStepsDone, grpoIterationsDone: 0 } });
    await saveCheckpointDir(dir, old, tokenizer, { meta: meta(1) });
    const fresh = tiny(2);
    Object.assign(writes, { failAt: 2, count: 0 });
    await expect(saveCheckpointDir(dir, fresh, tokenizer, { meta: meta(2) })).rejects.toThrow('killed');
    writes.failAt = 0;
    const back = await loadCheckpointDir(dir);
    expect(back.manifest.meta).toEqual(meta(1));
    expect(await back.model.getWeights()).toEqual(await old.getWeights());
    for (const m of [old, fresh, back.model]) m.dispose();
  });

  test('weights that are not finite are never saved', async () => {
    const model = tiny(3);
    const pos = model.variables[1] as tf.Variable;
    pos.assign(tf.fill(pos.shape, Infinity));
    const target = join(dir, 'diverged');
    await expect(saveCheckpointDir(target, model, tokenizer)).rejects.toThrow(/checkpoint: weight pos_emb holds Infinity; not saved/);
    await expect(loadCheckpointDir(target)).rejects.toThrow(/no such file/);
    model.dispose();
  });

  test('a named pipe as weights.bin fails at once instead of blocking the read', async () => {
    const target = join(dir, 'pipe');
    const model = tiny(4);
    await saveCheckpointDir(target, model, tokenizer);
    model.dispose();
    await rm(join(target, 'weights.bin'));
    execFileSync('mkfifo', [join(target, 'weights.bin')]);
    await expect(loadCheckpointDir(target)).rejects.toThrow(/weights\.bin is not a regular file/);
  });

  test('a small manifest claiming a huge model fails before the model is built', async () => {
    const model = tiny(5);
    const { manifest, weights } = await serializeCheckpoint(model, tokenizer);
    model.dispose();
    const huge = { ...manifest, config: { ...manifest.config, dModel: 1024, nLayers: 24, dFF: 4096, contextLength: 4096, nHeads: 32 } };
    const count = tf.memory().numBytes;
    expect(() => deserializeCheckpoint(huge, weights)).toThrow(/checkpoint: the config needs \d+ bytes of weights but the weights file has \d+ bytes/);
    expect(tf.memory().numBytes).toBe(count);
  });
});
