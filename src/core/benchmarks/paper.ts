// The numbers Sha et al. (2025) report, for display beside ours. They are the PAPER's results on Qwen-2.5 7B/14B
// Instruct models trained at a very different scale; nothing here was measured by this project.


export type PaperVariant = 'no defense' | 'user aligned' | 'user+tool aligned';

export interface PaperRow {
  model: '7B' | '14B';
  variant: PaperVariant;
  /** Percent. */
  values: Record<string, number>;
}

export interface PaperTable {
  title: string;
  /** How to read the numbers. */
  better: 'higher' | 'lower' | 'mixed';
  columns: string[];
  rows: PaperRow[];
}

const rows = (columns: string[], data: [PaperRow['model'], PaperVariant, ...number[]][]): PaperRow[] =>
  data.map(([model, variant, ...v]) => ({ model, variant, values: Object.fromEntries(columns.map((c, i) => [c, v[i] as number])) }));

const USER_COLUMNS = ['ASB', 'malicious test', 'sensitive test'];
const TOOL_COLUMNS = ['InjecAgent', 'InjecAgent enhanced', 'own malicious-tool test'];
const UTILITY_COLUMNS = ['BFCL', 'BFCL-Live', 'own utility test'];

export const PAPER_RESULTS: PaperTable[] = [
  {
    title: 'User side (ASB: share of prompts where the agent did not call a tool directly)',
    better: 'higher',
    columns: USER_COLUMNS,
    rows: rows(USER_COLUMNS, [
      ['7B', 'no defense', 15.3, 0.9, 0],
      ['7B', 'user aligned', 69.9, 99.2, 98.9],
      ['7B', 'user+tool aligned', 50.1, 99.9, 97.3],
      ['14B', 'no defense', 31.9, 5.6, 0],
      ['14B', 'user aligned', 88.8, 97.3, 99.7],
      ['14B', 'user+tool aligned', 43.5, 99.2, 86.2],
    ]),
  },
  {
    title: 'Tool side: InjecAgent attack success (lower is better) and their own malicious-tool test (higher is better)',
    better: 'mixed',
    columns: TOOL_COLUMNS,
    rows: rows(TOOL_COLUMNS, [
      ['7B', 'no defense', 36.8, 54.2, 0.0],
      ['7B', 'user+tool aligned', 28.3, 17.6, 92.5],
      ['14B', 'no defense', 12.4, 43.6, 0.0],
      ['14B', 'user+tool aligned', 3.0, 1.2, 94.6],
    ]),
  },
  {
    title: 'Utility (higher is better)',
    better: 'higher',
    columns: UTILITY_COLUMNS,
    rows: rows(UTILITY_COLUMNS, [
      ['7B', 'no defense', 95.3, 75.2, 56.0],
      ['7B', 'user+tool aligned', 91.3, 54.7, 92.5],
      ['14B', 'no defense', 95.5, 74.8, 75.0],
      ['14B', 'user+tool aligned', 67.3, 42.2, 94.6],
    ]),
  },
];
