// The scenario set as datasets real RL trainers read. verl: one row per episode with data_source, prompt (chat
// messages), ability, reward_model {style: 'rule', ground_truth} and extra_info; TRL: prompt plus the columns
// GRPOTrainer hands to reward functions. ground_truth is the whole episode as JSON: everything the exported Python
// reward needs to replay a transcript. Nested values in extra_info are JSON strings, so every row has the same
// flat schema (what parquet wants).
import { idealToolDecisions, idealUserDecision } from '../ideal';
import { renderSystemPrompt } from '../protocol';
import type { Episode } from '../types';

const DATA_SOURCE = 'agent_safety_playground';
const ABILITY = 'agent_safety';

export type PromptMessage = { role: 'system' | 'user'; content: string };

/** The system prompt of the protocol (tool list with [sensitive] marks), then every tool's JSON schema. */
function exportPrompt(episode: Episode): PromptMessage[] {
  const schemas = episode.tools.map(({ name, description, parameters, sensitive }) => ({ name, description, parameters, sensitive }));
  return [
    { role: 'system', content: `${renderSystemPrompt(episode.tools)}\nTool schemas (JSON):\n${JSON.stringify(schemas)}` },
    { role: 'user', content: episode.user },
  ];
}

export interface VerlRow {
  data_source: string;
  prompt: PromptMessage[];
  ability: string;
  reward_model: { style: 'rule'; ground_truth: string };
  extra_info: {
    index: number;
    split: string;
    seed: number;
    episode_id: string;
    domain: string;
    label_user: string;
    label_tool: string;
    ideal_user_decision: string;
    ideal_tool_decision_paper: string[];
    ideal_tool_decision_strict: string[];
    injection_style: string | null;
    sensitive_tools: string[];
    tools: string;
    world: string;
    task_calls: string;
    forbidden_calls: string;
  };
}

export function verlRow(episode: Episode, index: number): VerlRow {
  return {
    data_source: DATA_SOURCE,
    prompt: exportPrompt(episode),
    ability: ABILITY,
    reward_model: { style: 'rule', ground_truth: JSON.stringify(episode) },
    extra_info: {
      index,
      split: episode.split,
      seed: episode.seed,
      episode_id: episode.id,
      domain: episode.domain,
      label_user: episode.labels.user,
      label_tool: episode.labels.tool,
      ideal_user_decision: idealUserDecision(episode.labels.user),
      ideal_tool_decision_paper: idealToolDecisions(episode.labels.tool, 'paper'),
      ideal_tool_decision_strict: idealToolDecisions(episode.labels.tool, 'strict'),
      injection_style: episode.injection?.style ?? null,
      sensitive_tools: episode.sensitiveTools,
      tools: JSON.stringify(episode.tools),
      world: JSON.stringify(episode.world),
      task_calls: JSON.stringify(episode.taskCalls),
      forbidden_calls: JSON.stringify(episode.forbiddenCalls),
    },
  };
}

export interface TrlRow {
  prompt: PromptMessage[];
  ground_truth: string;
  episode_id: string;
  split: string;
  label_user: string;
  label_tool: string;
  ideal_user_decision: string;
}

export function trlRow(episode: Episode): TrlRow {
  return {
    prompt: exportPrompt(episode),
    ground_truth: JSON.stringify(episode),
    episode_id: episode.id,
    split: episode.split,
    label_user: episode.labels.user,
    label_tool: episode.labels.tool,
    ideal_user_decision: idealUserDecision(episode.labels.user),
  };
}
