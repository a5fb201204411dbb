// Public benchmarks converted to the case format (evaluation only, never training data), and their reports.
export { convertInjecAgent } from './injecagent';
export { convertAgentDojo, parseInjectionVectors } from './agentdojo';
export { convertBfcl } from './bfcl';
export { convertToolEmu } from './toolemu';
export { parsePythonLiteral } from './pylit';
export { isSensitiveName } from './tools';

/** One line of public/benchmarks/index.json. */
export interface SuiteInfo {
  name: string;
  /** Path relative to public/benchmarks/. */
  file: string;
  count: number;
  categories: string[];
  license: string;
  attribution: string;
  source: string;
}

/** What the converter script writes for each suite, beside its cases. */
export const SUITE_META: Record<string, Omit<SuiteInfo, 'name' | 'file' | 'count' | 'categories'>> = {
  injecagent: {
    license: 'MIT',
    attribution: 'InjecAgent: Zhan, Liang, Ying, Kang, "InjecAgent: Benchmarking Indirect Prompt Injections in Tool-Integrated LLM Agents", Findings of ACL 2024',
    source: 'https://github.com/uiuc-kang-lab/InjecAgent',
  },
  agentdojo: {
    license: 'MIT',
    attribution: 'AgentDojo v1.2.1: Debenedetti, Zhang, Balunović, Beurer-Kellner, Fischer, Tramèr, "AgentDojo: A Dynamic Environment to Evaluate Prompt Injection Attacks and Defenses for LLM Agents", NeurIPS 2024 Datasets and Benchmarks',
    source: 'https://github.com/ethz-spylab/agentdojo',
  },
  bfcl: {
    license: 'Apache-2.0',
    attribution: 'Berkeley Function Calling Leaderboard v4 (simple_python, multiple, irrelevance): Patil, Mao, Yan, Ji, Suresh, Stoica, Gonzalez, Gorilla project, UC Berkeley',
    source: 'https://github.com/ShishirPatil/gorilla/tree/main/berkeley-function-call-leaderboard',
  },
  toolemu: {
    license: 'Apache-2.0',
    attribution: 'ToolEmu: Ruan, Dong, Wang, Pitis, Zhou, Ba, Dubois, Maddison, Hashimoto, "Identifying the Risks of LM Agents with an LM-Emulated Sandbox", ICLR 2024',
    source: 'https://github.com/ryoungj/ToolEmu',
  },
};

export { classifyCompletion, type CaseResult } from './result';
export { callAccepted } from './calls';
export { benchmarkReport } from './report';
export { CASE_POLICIES, casePolicyTurn, type CasePolicyName } from './policies';
export { PAPER_RESULTS } from './paper';
