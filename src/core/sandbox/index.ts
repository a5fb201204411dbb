// The sandbox: a simulated world per episode in which tools really act, and the session that records the trace.
export { diffWorld } from './world';
export { executeTool } from './effects';
export { matchesCall } from './match';
export { EpisodeSession, runEpisode } from './session';
