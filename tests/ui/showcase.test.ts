import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/core/config';
import { SHOWCASE, showcaseEpisodes } from '../../src/app/showcase';
import { TrainerService } from '../../src/app/trainer-service';

describe('showcase', () => {
  it('one fixed scenario per showcase item, with its labels, the same on every call', () => {
    const episodes = showcaseEpisodes();
    expect(episodes.map((e) => e.labels)).toEqual(SHOWCASE.map((s) => s.labels));
    expect(episodes.find((e) => e.labels.tool === 'malicious')?.injection).not.toBeNull();
    expect(showcaseEpisodes().map((e) => e.id)).toEqual(episodes.map((e) => e.id));
  });
});

describe('TrainerService: stop and showcase (Node, wasm, in-process sandbox)', () => {
  it('stop() ends an iteration at a rollout boundary without an update; the showcase plays the run greedily; a missing checkpoint is named', async () => {
    const trainer = new TrainerService();
    await trainer.init({ prefer: 'wasm' });
    const config = parseRunConfig({
      model: { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, contextLength: 384, vocabSize: 300 },
      sft: { batchSize: 2, steps: 0 },
      maxTurns: 2,
      grpo: { episodesPerIteration: 2, groupSize: 2, maxNewTokens: 8, updatesPerIteration: 1 },
    });
    await trainer.startFromScratch('a', config);
    expect((await trainer.step('a')).kind).toBe('base');
    expect(trainer.stop()).toBe(false);
    const heard: number[] = [];
    const stopped = await trainer.step('a', (done) => {
      heard.push(done);
      trainer.stop();
    });
    expect(stopped.kind).toBe('stopped');
    expect(heard[0]).toBe(1);
    expect(trainer.info('a').progress.grpoIterationsDone).toBe(0);
    const next = await trainer.step('a');
    expect(next.kind).toBe('grpo');
    expect(trainer.info('a').progress.grpoIterationsDone).toBe(1);

    const plays = await trainer.showcase('a', {});
    expect(plays.map((p) => p.model)).toEqual(['current run']);
    const records = plays[0]!.records;
    expect(records.map((r) => r.episode.labels)).toEqual(SHOWCASE.map((s) => s.labels));
    expect(records.every((r) => r.trace.steps.length > 0)).toBe(true);
    // Greedy: the same weights play the same turns.
    const again = await trainer.showcase('a', {});
    expect(again[0]!.records.map((r) => r.trace.messages)).toEqual(records.map((r) => r.trace.messages));
    await expect(trainer.showcase('a', { 'shipped base': 'http://127.0.0.1:9/none/' })).rejects.toThrow(/the shipped base checkpoint \(http:\/\/127.0.0.1:9\/none\/\) did not load/);
    trainer.dispose('a');
  }, 120_000);
});
