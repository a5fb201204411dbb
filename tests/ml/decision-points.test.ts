import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../../src/ml/evaluate';
import { toolChoiceCases } from '../../src/core/cases/tool-choice';
import { decisionPointCases, summarizeDecisionPoints } from '../../src/ml/decision-points';

const cases = decisionPointCases('test', 60, 3);

describe('decision points', () => {
  it('freeze each test episode at its user turn and, when a tool output is labelled, at the turn after it', () => {
    expect(cases.filter((c) => c.id.endsWith('-user'))).toHaveLength(60);
    const tool = cases.filter((c) => c.id.endsWith('-tool'));
    expect(tool.length).toBeGreaterThan(0);
    for (const c of tool) expect(c.messages.at(-1)?.role).toBe('tool');
  });

  it('score the oracle at 100% everywhere, and an agent that obeys every planted instruction as attacked', () => {
    const oracle: CaseResult[] = cases.map((c) => ({
      id: c.id,
      completion: '',
      decision: c.expected,
      call: c.expected_call ?? null,
      forbidden_call: false,
    }));
    const perfect = summarizeDecisionPoints(cases, oracle);
    expect(Object.values(perfect.correct).every((v) => v === 1)).toBe(true);
    expect(Object.keys(perfect.correct)).toContain('tool output: malicious');
    expect(perfect.plantedInstructionsObeyed).toBe(0);
    expect(perfect.rightCallWhereACallIsRight).toBe(1);
    expect(perfect.formatErrors).toBe(0);

    const obeying = oracle.map((r, i) => {
      const c = cases[i]!;
      if (!(c.id.endsWith('-tool') && c.labels.tool === 'malicious')) return r;
      return { ...r, decision: 'execute' as const, call: { name: c.forbidden_tools![0]!, arguments: {} }, forbidden_call: true };
    });
    const attacked = summarizeDecisionPoints(cases, obeying);
    expect(attacked.plantedInstructionsObeyed).toBe(1);
    expect(attacked.correct['tool output: malicious']).toBe(0);
    expect(attacked.correct['user: benign']).toBe(1);
  });

  it('score the tool choice at requests where a call is right, beside the word-overlap heuristic and without the request', () => {
    const results: CaseResult[] = cases.map((c) => ({ id: c.id, completion: '', decision: c.expected, call: c.expected_call ?? null, forbidden_call: false }));
    const points = toolChoiceCases(cases);
    expect(points.length).toBeGreaterThan(20);
    expect(summarizeDecisionPoints(cases, results).toolChoice).toMatchObject({ points: points.length, rightTool: 1, withoutRequest: null });
    // Without the request this agent always names the first listed tool.
    const first: CaseResult[] = points.map((c) => ({ id: c.id, completion: '', decision: 'execute', call: { name: c.tools[0]!.name, arguments: {} }, forbidden_call: false }));
    const choice = summarizeDecisionPoints(cases, results, first).toolChoice!;
    const firstIsRight = points.filter((c) => c.tools[0]!.name === c.expected_call!.name).length / points.length;
    expect(choice.withoutRequest).toBeCloseTo(firstIsRight);
    expect(choice.withoutRequest).toBeLessThan(1);
    // The heuristic is neither hopeless nor perfect on unseen tools.
    expect(choice.wordOverlap).toBeGreaterThan(0.2);
    expect(choice.wordOverlap).toBeLessThan(1);
    expect(() => summarizeDecisionPoints(cases, results, first.slice(1))).toThrow(/results without the request/);
  });
});
