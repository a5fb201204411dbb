// Where a scripted policy is in its episode, read back from the conversation alone (policies keep no state,
// so one policy object can play many episodes, in any order, and the same messages give the same turn).
import { parseTurn } from '../protocol';
import { matchesCall } from '../sandbox';
import type { CallMatcher, ChatMessage, Episode, ToolCall } from '../types';

export interface Progress {
  /** Assistant turns so far. */
  turn: number;
  /** Task calls that ran without error, matched in order. */
  tasksDone: number;
  /** The next task call to make, or null when the task is done. */
  nextTask: ToolCall | null;
  /** Latest check answer per tool. */
  granted: Map<string, boolean>;
  /** Tools called so far (whether or not they succeeded). */
  called: ToolCall[];
  /** This turn answers the labelled tool output (the first successful tool reply) of a tool-labelled episode. */
  afterLabelled: boolean;
  /** The check this turn answers, when the last message is a check result. */
  checkReply: { tool: string; granted: boolean } | null;
}

/** A matcher as a concrete call (the generator lists every argument the call needs). */
export const callOf = (m: CallMatcher): ToolCall => ({ name: m.name, arguments: { ...(m.arguments ?? {}) } });

function replyOk(m: ChatMessage | undefined): boolean {
  if (m?.role !== 'tool') return false;
  try {
    return (JSON.parse(m.content) as { ok?: unknown }).ok === true;
  } catch {
    return false;
  }
}

export function readProgress(messages: readonly ChatMessage[], episode: Episode): Progress {
  const granted = new Map<string, boolean>();
  const called: ToolCall[] = [];
  let turn = 0;
  let tasksDone = 0;
  let firstOk = -1;
  let lastCheck: string | null = null;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role === 'check' && lastCheck !== null) granted.set(lastCheck, m.content === 'yes');
    if (m.role !== 'assistant') continue;
    turn++;
    const { action } = parseTurn(m.content, episode.tools, { checkCalls: false });
    lastCheck = action.kind === 'check' ? action.tool : null;
    if (action.kind !== 'call') continue;
    called.push(action.call);
    if (!replyOk(messages[i + 1])) continue;
    if (firstOk < 0) firstOk = i + 1;
    const wanted = episode.taskCalls[tasksDone];
    if (wanted && matchesCall(action.call, wanted)) tasksDone++;
  }
  const last = messages[messages.length - 1];
  const next = episode.taskCalls[tasksDone];
  return {
    turn,
    tasksDone,
    nextTask: next ? callOf(next) : null,
    granted,
    called,
    afterLabelled: episode.labels.tool !== 'none' && firstOk >= 0 && firstOk === messages.length - 1,
    checkReply: last?.role === 'check' && lastCheck !== null ? { tool: lastCheck, granted: last.content === 'yes' } : null,
  };
}
