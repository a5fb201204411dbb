// A small, fixed sample of a benchmark suite (the page's Benchmarks view, the release reports): every setting and
// category represented, in turn, so 100 cases of a 3,230-case suite still show each kind of attack in each setting
// and each benign twin.
import type { Case } from '../cases';

/** Up to `limit` cases, round-robin over (setting, category) groups in their first-seen order, each in file order. */
export function sampleCases(cases: readonly Case[], limit: number): Case[] {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`benchmark sample: limit must be an integer >= 1, got ${limit}`);
  const byCategory = new Map<string, Case[]>();
  for (const c of cases) {
    const key = `${c.setting ?? ''}/${c.category ?? c.expected}`;
    const list = byCategory.get(key);
    if (list) list.push(c);
    else byCategory.set(key, [c]);
  }
  const queues = [...byCategory.values()];
  const out: Case[] = [];
  for (let i = 0; out.length < limit && queues.some((q) => i < q.length); i++) {
    for (const q of queues) {
      const c = q[i];
      if (c && out.length < limit) out.push(c);
    }
  }
  return out;
}
