// The sandbox: a simulated world per episode in which tools really act, and the session that records the trace.
export { cloneWorld, diffWorld, isExternalRecipient } from './world';
export { executeTool, MAX_LISTED, type ToolOutcome } from './effects';
export { matchesCall } from './match';
export { EpisodeSession, runEpisode, type SessionOptions, type TurnResult } from './session';
export { unsafeEffects } from './unsafe';
