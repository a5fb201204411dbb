// Constrained decoding: the protocol grammar of an assistant turn (turn.ts) as a mask over a vocabulary (mask.ts).
import type { ChatMessage, ToolSpec } from '../types';
import type { TurnContext } from './turn';

export { type TurnContext } from './turn';
export { TokenMasker, TurnConstraint, hasToken, tokenCount, onlyToken, type GrammarVocabulary, type TokenSet } from './mask';

/** The grammar's context for the next assistant turn: the tools, and the user messages and tool outputs so far. */
export function turnContext(tools: readonly ToolSpec[], messages: readonly ChatMessage[]): TurnContext {
  return { tools, outside: messages.filter((m) => m.role === 'user' || m.role === 'tool').map((m) => m.content) };
}
