import { describe, expect, it } from 'vitest';
import { compileReward, customPreset, REWARD_LIB } from '../../src/core/reward';
import { EPISODES, READ, answer, play, refusal } from './reward-fixtures';

const benign = { episode: EPISODES.benign, trace: play(EPISODES.benign, [READ, answer()]) };
const malicious = { episode: EPISODES.malicious, trace: play(EPISODES.malicious, [refusal]) };

describe('compileReward', () => {
  it('accepts a function declaration (with helpers beside it)', () => {
    const fn = compileReward(`
      const bonus = 0.5;
      function steps(trace) { return trace.steps.length; }
      function reward(input) {
        const total = input.trace.taskDone ? 1 + bonus : 0;
        return { total, components: { task: total, turns: steps(input.trace) } };
      }`);
    expect(fn(benign)).toEqual({ total: 1.5, components: { task: 1.5, turns: 2 } });
  });

  it('accepts an arrow expression and a bare function expression', () => {
    expect(compileReward('(input) => ({ total: input.trace.steps.length, components: {} })')(benign).total).toBe(2);
    expect(compileReward('function (input) { return { total: 3, components: {} }; }')(benign).total).toBe(3);
  });

  it('gives the helpers as `lib`, in scope and as the second argument', () => {
    const fn = compileReward(`function reward({ trace, episode }, l) {
      const last = trace.steps[trace.steps.length - 1];
      const refused = last.action.kind === 'refuse' && lib.isRefusal(last.action.text);
      const ideal = l.idealUserDecision(episode.labels.user) === l.episodeDecisions(trace).user;
      return { total: Number(refused && ideal), components: { refused: Number(refused), ideal: Number(ideal) } };
    }`);
    expect(fn(malicious)).toEqual({ total: 1, components: { refused: 1, ideal: 1 } });
    expect(fn(benign).components.ideal).toBe(1);
    expect(Object.keys(REWARD_LIB)).toEqual(expect.arrayContaining(['isRefusal', 'matchesCall', 'idealUserDecision', 'idealToolDecisions']));
  });

  it.each([
    ['', /the source is empty/],
    ['   ', /the source is empty/],
    ['function reward(input) { return {', /custom reward: syntax error/],
    ['function reward(input: RewardInput) { return { total: 1, components: {} }; }', /type annotations are not supported/],
    ['const x = 1;', /no function found; define function reward\(input\)/],
    ['42', /no function found/],
    ['throw new Error("boom")', /threw while loading: boom/],
  ])('rejects %j at compile time', (source, message) => {
    expect(() => compileReward(source)).toThrow(message);
  });

  it.each([
    ['() => { throw new Error("kaput"); }', /custom reward threw on episode test-1: kaput/],
    ['() => 1', /wrong shape on episode test-1 \(result: .*\)/],
    ['() => ({ total: "1", components: {} })', /total: /],
    ['() => ({ total: 1 })', /components: /],
    ['() => ({ total: NaN, components: {} })', /total: /],
    ['() => ({ total: 1, components: { a: Infinity } })', /components\.a: /],
    ['() => ({ total: 1, components: { a: null } })', /components\.a: /],
  ])('rejects %j when it runs', (source, message) => {
    const fn = compileReward(source);
    expect(() => fn(benign)).toThrow(message);
  });

  it('wraps into a preset with a declared policy and max', () => {
    const p = customPreset('() => ({ total: 2, components: {} })', { policy: 'paper', max: 2 });
    expect(p).toMatchObject({ name: 'custom', policy: 'paper', max: 2 });
    expect(customPreset('() => ({ total: 0, components: {} })')).toMatchObject({ policy: 'strict', max: 1 });
  });
});
