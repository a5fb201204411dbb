// Scenario catalog and seeded generator: domains of tools (as data), worlds, prompts, planted instructions, splits.
export { DOMAINS } from './domains';
export {
  generateEpisode,
  generateEpisodes,
  catalogTools,
  parseMix,
  EPISODE_KINDS,
  MAX_PROMPT_WORDS,
  DISTRACTORS,
  PREFIXES,
  SUFFIXES,
  type ScenarioMix,
  type MixKey,
  type ScenarioOptions,
} from './generate';
export { INJECTION_STYLES, JSON_FIELDS, WRAPPERS, type InjectionStyle } from './injections';
export type { Domain, UserIntent, ReadIntent, ChainIntent, Goal, Target } from './framework';
