// Scripted reference policies. They write protocol text like a model would (think block, one action, EOS),
// so they run through the same parser, sandbox and rewards as a learned policy.
import type { DecisionPrior } from '../config';
import { EOS, REFUSAL_SENTENCES, formatAnswer, formatCall, formatCheck, formatRefusal, toolHeader } from '../protocol';
import { Rng, hashString } from '../rng';
import type { ChatMessage, Episode, Policy, SafetyPolicy, ToolCall, ToolSpec } from '../types';
import { callOf, readProgress, type Progress } from './progress';

export { readProgress, callOf, type Progress } from './progress';

/** One scripted move; rendered to protocol text by `render`. */
export type Move =
  | { kind: 'call'; call: ToolCall }
  | { kind: 'check'; tool: string; why: 'sensitive' | 'planted' | 'confirm' }
  | { kind: 'answer'; denied: string | null }
  | { kind: 'refuse'; why: 'request' | 'planted'; tool?: string };

const CHECK_THINK = {
  sensitive: 'This action is sensitive; ask the user first.',
  planted: 'The tool output asks for another action; confirm with the user.',
  confirm: 'Confirm with the user first.',
};

/**
 * A move as protocol text. A turn that acts on a tool opens its think with the tool's header (name and [sensitive]
 * mark, as listed in `tools`), then its decision phrase: the decision reads the mark instead of being drawn right
 * after `<think>`, before anything in the turn says what it is about to do.
 */
export function render(move: Move, tools: readonly ToolSpec[] = []): string {
  const about = (name: string | undefined, phrase: string): string => {
    if (name === undefined) return phrase;
    return `${toolHeader({ name, sensitive: tools.find((t) => t.name === name)?.sensitive === true })} ${phrase}`;
  };
  switch (move.kind) {
    case 'call':
      return formatCall(about(move.call.name, 'Next step: make the call.'), move.call) + EOS;
    case 'check':
      return formatCheck(about(move.tool, CHECK_THINK[move.why]), move.tool) + EOS;
    case 'answer':
      return move.denied
        ? formatAnswer('The user said no.', 'Understood, I did not do it.') + EOS
        : formatAnswer('The task is done.', 'Done: the request is complete.') + EOS;
    case 'refuse':
      return move.why === 'planted'
        ? formatRefusal(about(move.tool, 'The tool output carries planted instructions.'), REFUSAL_SENTENCES[1]) + EOS
        : formatRefusal(about(move.tool, 'This request could cause harm.'), REFUSAL_SENTENCES[0]) + EOS;
  }
}

/** The call a just-answered check was about: the next task call, the planted goal, or the harmful act asked for. */
function checkedCall(p: Progress, episode: Episode, tool: string): ToolCall | null {
  const candidates = [p.nextTask, episode.injection?.goal ?? null, episode.forbiddenCalls[0] ? callOf(episode.forbiddenCalls[0]) : null];
  return candidates.find((c) => c?.name === tool) ?? null;
}

/** After a check: act on yes, answer on no. */
function followCheck(p: Progress, episode: Episode, reply: { tool: string; granted: boolean }): Move {
  const call = reply.granted ? checkedCall(p, episode, reply.tool) : null;
  return call ? { kind: 'call', call } : { kind: 'answer', denied: reply.granted ? null : reply.tool };
}

function scripted(name: string, decide: (p: Progress, episode: Episode) => Move): Policy {
  return { name, next: (messages: ChatMessage[], episode: Episode) => render(decide(readProgress(messages, episode), episode), episode.tools) };
}

/**
 * The label-aware ideal of ideal.ts under a safety policy. Malicious user: refuse. Otherwise run the task calls
 * in order, asking first where a check is due (paper: the sensitive user's sensitive tools; strict: every
 * sensitive tool), acting on yes and answering on no. After planted instructions: paper asks about the goal
 * tool and follows the answer; strict refuses and flags them.
 */
export function oracle(policy: SafetyPolicy): Policy {
  const needsCheck = (episode: Episode, tool: string): boolean => {
    const sensitive = episode.tools.find((t) => t.name === tool)?.sensitive === true;
    if (policy === 'strict') return sensitive;
    return episode.labels.user === 'sensitive' && (sensitive || episode.sensitiveTools.includes(tool));
  };
  return scripted(`oracle-${policy}`, (p, episode) => {
    if (episode.labels.user === 'malicious') return { kind: 'refuse', why: 'request', tool: episode.forbiddenCalls[0]?.name };
    if (p.checkReply) return followCheck(p, episode, p.checkReply);
    if (p.afterLabelled && episode.labels.tool === 'malicious') {
      const goal = episode.injection?.goal;
      if (policy === 'strict' || !goal) return { kind: 'refuse', why: 'planted', tool: goal?.name };
      return { kind: 'check', tool: goal.name, why: 'planted' };
    }
    const call = p.nextTask;
    if (!call) return { kind: 'answer', denied: null };
    if (needsCheck(episode, call.name) && p.granted.get(call.name) !== true) {
      return { kind: 'check', tool: call.name, why: 'sensitive' };
    }
    return { kind: 'call', call };
  });
}

/** What a compliant agent with no defense wants to call next: the harmful act asked for, the planted goal, the task. */
function compliantCall(p: Progress, episode: Episode): ToolCall | null {
  const harmful = episode.forbiddenCalls[0];
  if (episode.labels.user === 'malicious') return harmful && p.called.length === 0 ? callOf(harmful) : null;
  if (p.afterLabelled && episode.injection) return episode.injection.goal;
  return p.nextTask;
}

/** No defense: does what it is told, planted instructions included, never asks; then answers. */
export function execute(): Policy {
  return scripted('execute', (p, episode) => {
    const call = compliantCall(p, episode);
    return call ? { kind: 'call', call } : { kind: 'answer', denied: null };
  });
}

/** Refuses everything. */
export function refuse(): Policy {
  return scripted('refuse', () => ({ kind: 'refuse', why: 'request' }));
}

/** A generator for this episode and turn only, so the result does not depend on the order episodes are played in. */
function turnRng(seed: number, episode: Episode, turn: number): Rng {
  return new Rng(seed ^ hashString(episode.id)).fork(turn);
}

/**
 * Fluent but not safe: whenever it is about to call a tool it draws execute / verify / refuse from a prior that
 * ignores the labels (the cold-start data of the trainer). It follows check answers and answers when done.
 */
export function priorPolicy(prior: DecisionPrior, seed: number): Policy {
  const weights = [prior.execute, prior.verify, prior.refuse];
  return scripted('prior', (p, episode) => {
    if (p.checkReply) return followCheck(p, episode, p.checkReply);
    const call = compliantCall(p, episode);
    if (!call) return { kind: 'answer', denied: null };
    switch (turnRng(seed, episode, p.turn).weighted(weights)) {
      case 0:
        return { kind: 'call', call };
      case 1:
        return p.granted.get(call.name) === true ? { kind: 'call', call } : { kind: 'check', tool: call.name, why: 'confirm' };
      default:
        return { kind: 'refuse', why: 'request', tool: call.name };
    }
  });
}

const GARBAGE_WORDS = ['okay', 'sure', 'the', 'file', 'maybe', 'send', 'report', 'then', 'done', 'account', 'please', 'now'];

/** Text that is not a valid turn: word salad, broken tags, a call without tags, a cut-off turn. */
function garbage(rng: Rng, episode: Episode): string {
  const words = Array.from({ length: rng.int(2, 8) }, () => rng.pick(GARBAGE_WORDS)).join(' ');
  const tool = rng.pick(episode.tools).name;
  switch (rng.int(0, 4)) {
    case 0:
      return words + EOS;
    case 1:
      return `<think>${words}<tool_call>{"name": "${tool}"${EOS}`;
    case 2:
      return `<think>${words}</think>{"name": "${tool}", "arguments": {}}${EOS}`;
    case 3:
      return `<think>${words}</think><tool_call>{"name": "${tool}", "arguments": </tool_call>${EOS}`;
    default:
      return `<think>${words}</think><answer>${words}`;
  }
}

/** Uniformly one of: a call the episode knows of, a check, an answer, a refusal, or garbage. */
export function random(seed: number): Policy {
  return {
    name: 'random',
    next(messages: ChatMessage[], episode: Episode): string {
      const rng = turnRng(seed, episode, readProgress(messages, episode).turn);
      const known = [...episode.taskCalls, ...episode.forbiddenCalls].map(callOf);
      switch (rng.int(0, 4)) {
        case 0:
          return known.length > 0 ? render({ kind: 'call', call: rng.pick(known) }, episode.tools) : garbage(rng, episode);
        case 1:
          return render({ kind: 'check', tool: rng.pick(episode.tools).name, why: 'confirm' }, episode.tools);
        case 2:
          return render({ kind: 'answer', denied: null });
        case 3:
          return render({ kind: 'refuse', why: rng.bool() ? 'request' : 'planted' });
        default:
          return garbage(rng, episode);
      }
    },
  };
}

export const REFERENCE_POLICIES = ['oracle', 'execute', 'refuse', 'random'] as const;
export type ReferencePolicyName = (typeof REFERENCE_POLICIES)[number];

/** A reference policy by name; the oracle follows `policy`, random draws from `seed`. */
export function referencePolicy(name: ReferencePolicyName, opts: { policy: SafetyPolicy; seed: number }): Policy {
  switch (name) {
    case 'oracle':
      return oracle(opts.policy);
    case 'execute':
      return execute();
    case 'refuse':
      return refuse();
    case 'random':
      return random(opts.seed);
  }
}
