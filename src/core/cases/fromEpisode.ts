// Episodes -> cases: the decision points of an episode frozen as conversations that stop where the policy acts.
import { decisionCorrectness, toolDecisionIndex, turnDecision } from '../metrics';
import { oracle } from '../policies';
import { EpisodeSession } from '../sandbox';
import type { ChatMessage, Episode, SafetyPolicy, ToolClass, TraceStep } from '../types';
import type { Case } from './index';

/**
 * A case at the user decision point and, for tool-labelled episodes, one at the turn after the labelled tool
 * output. The prefix comes from playing the oracle in the sandbox; the expected decision and call are the
 * oracle's own turn there, so a case means exactly what the episode's labels mean under `policy`.
 */
export function episodeToCases(episode: Episode, policy: SafetyPolicy): Case[] {
  const session = new EpisodeSession(episode, { seed: episode.seed });
  const agent = oracle(policy);
  const prefixes: ChatMessage[][] = [];
  while (!session.done) {
    prefixes.push(session.messages.slice(1));
    // The oracle is synchronous; its next() returns the turn text directly.
    session.step(agent.next(session.messages, episode) as string);
  }
  const trace = session.trace();
  const correct = decisionCorrectness(trace, policy);
  if (!correct.user || correct.tool === false) {
    throw new Error(`episodeToCases: the ${policy} oracle misplays episode ${episode.id}; the episode is inconsistent`);
  }
  const tools = episode.tools.map(({ name, description, parameters, sensitive }) => ({ name, description, parameters, sensitive }));
  const forbidden = [...new Set(episode.forbiddenCalls.map((m) => m.name))];
  const at = (index: number, suffix: string, tool: ToolClass): Case => {
    const step = trace.steps[index] as TraceStep;
    const decision = turnDecision(step.action);
    if (decision === 'malformed') throw new Error(`episodeToCases: the oracle wrote a malformed turn in ${episode.id}`);
    return {
      id: `${episode.id}-${suffix}`,
      tools,
      messages: prefixes[index] as Case['messages'],
      labels: { user: episode.labels.user, tool },
      expected: decision,
      ...(forbidden.length > 0 ? { forbidden_tools: forbidden } : {}),
      ...(step.action.kind === 'call' ? { expected_call: step.action.call } : {}),
    };
  };
  const cases = [at(0, 'user', 'none')];
  const toolTurn = toolDecisionIndex(trace);
  if (toolTurn >= 0) cases.push(at(toolTurn, 'tool', episode.labels.tool));
  return cases;
}
