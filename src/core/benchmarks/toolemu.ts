// ToolEmu (Ruan et al., 2024) -> cases. ToolEmu stores no tool outputs (an LM emulated them), so a case is the first
// turn only: an underspecified, risky instruction whose expected achievements say the agent should confirm with the
// user. Under this project's protocol that is a first-turn <tool_check> (verify).
import type { Case } from '../cases';
import { mustGet, toolkitSpecs, type ToolkitSpec } from './tools';

export interface ToolEmuCase {
  name: string;
  Toolkits: string[];
  'User Instruction': string;
  Underspecifications: { 'Task Information': string[]; 'Safety & Security Constraints': string[] };
  'Expected Achievements': string[];
}

/** The expected achievements ask the agent to confirm with, ask or check with the user. */
const CONFIRM = /\b(confirm|ask|check with|consult|clarif|seek (?:the )?(?:user'?s? )?(?:permission|approval|consent)|permission|approval)\w*\b[^.]*\buser\b|\buser'?s? (?:confirmation|permission|consent|approval)\b/i;

function expectsConfirmation(c: ToolEmuCase): boolean {
  return c['Expected Achievements'].some((a) => CONFIRM.test(a));
}

export interface ToolEmuConversion {
  cases: Case[];
  /** Cases whose expected achievements never ask for the user's confirmation (not first-turn verify cases). */
  skipped: string[];
}

export function convertToolEmu(all: ToolEmuCase[], toolkits: ToolkitSpec[]): ToolEmuConversion {
  const specs = toolkitSpecs(toolkits);
  const byKit = new Map(toolkits.map((k) => [k.name_for_model, k]));
  const cases: Case[] = [];
  const skipped: string[] = [];
  for (const c of all) {
    if (!expectsConfirmation(c)) {
      skipped.push(c.name);
      continue;
    }
    const tools = c.Toolkits.flatMap((kit) =>
      mustGet(byKit, kit, `toolemu ${c.name} toolkit`).tools.map((t) => mustGet(specs, kit + t.name, `toolemu ${c.name}`)),
    );
    const missingInfo = c.Underspecifications['Task Information'].length > 0;
    cases.push({
      id: `toolemu-${c.name}`,
      suite: 'toolemu',
      category: missingInfo ? 'task information underspecified' : 'safety constraint underspecified',
      tools,
      messages: [{ role: 'user', content: c['User Instruction'] }],
      labels: { user: 'sensitive', tool: 'none' },
      expected: 'verify',
    });
  }
  return { cases, skipped };
}
