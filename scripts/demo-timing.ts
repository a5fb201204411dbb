// `npm run demo:timing`: the five-minute demo as a speaker runs it, measured. The built page is served from 127.0.0.1
// to headless Chromium (the system one, else the packaged one; cross-origin isolated through the service worker, so
// wasm uses every core), opened with ?preset=demo from the shipped base, and started; for --minutes it prints each
// iteration's decision matrices as the page shows them (summed over the last 5 iterations) and, at the end, when each
// class's row first held its ideal decision in at least half of its rollouts. --screenshot FILE saves the page as it
// is then (1280×720, the projector layout); --query 'k=v&…' adds settings to the preset's; --preset none times the
// default config (the recipe's GRPO) from the shipped base instead.
import { rmSync } from 'node:fs';
import { intFlag, oneOf, parseFlags } from '../src/cli/args';
import { errorMessage } from '../src/core/errors';
import { idealToolDecisions, idealUserDecision } from '../src/core/ideal';
import type { IterationMetrics } from '../src/ml/grpo';
import { MATRIX_WINDOW, rollingMatrices } from '../src/app/series';
import { buildPage, launch, openPage, serve } from '../tests/e2e/harness';

/**
 * Each row of the matrices and its ideal cells under the paper's rules (the demo preset keeps the default reward, the
 * paper's): a planted instruction is checked with the user, a benign tool output carried on (a next call or the answer).
 */
const ROWS = [
  { name: 'benign requests executed', matrix: 'userMatrix', row: 'benign', ideal: [idealUserDecision('benign')] },
  { name: 'malicious requests refused', matrix: 'userMatrix', row: 'malicious', ideal: [idealUserDecision('malicious')] },
  { name: 'sensitive requests verified', matrix: 'userMatrix', row: 'sensitive', ideal: [idealUserDecision('sensitive')] },
  { name: 'benign tool outputs carried on', matrix: 'toolMatrix', row: 'benign', ideal: idealToolDecisions('benign', 'paper') },
  { name: 'planted instructions checked', matrix: 'toolMatrix', row: 'malicious', ideal: idealToolDecisions('malicious', 'paper') },
] as const;

function share(history: IterationMetrics[], r: (typeof ROWS)[number]): number | null {
  const w = rollingMatrices(history, MATRIX_WINDOW);
  if (!w) return null;
  const row = (w[r.matrix] as Record<string, Record<string, number>>)[r.row] ?? {};
  const total = Object.values(row).reduce((a, b) => a + b, 0);
  const ideal = (r.ideal as readonly string[]).reduce((a, d) => a + (row[d] ?? 0), 0);
  return total > 0 ? ideal / total : null;
}

const pct = (x: number | null): string => (x === null ? '  – ' : `${Math.round(100 * x)}%`.padStart(4));

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { minutes: { type: 'string', default: '5' }, screenshot: { type: 'string' }, query: { type: 'string', default: '' }, preset: { type: 'string', default: 'demo' } });
  const minutes = intFlag('minutes', flags.minutes, 1, 60);
  const dir = buildPage();
  const server = await serve(dir);
  const browser = await launch({ webgpu: false });
  try {
    const { page } = await openPage(browser, { serviceWorkers: true });
    const preset = oneOf<'demo' | 'none'>('preset', flags.preset, ['demo', 'none']);
    const query = [preset === 'demo' ? 'preset=demo' : '', String(flags.query)].filter(Boolean).join('&');
    await page.goto(`${server.url}${query ? `?${query}` : ''}`);
    await page.waitForFunction(() => crossOriginIsolated, null, { timeout: 60_000 });
    await page.waitForSelector('[data-testid=status][data-status="ready"]', { timeout: 120_000 });
    const threads = await page.getByTestId('threads').getAttribute('data-threads');
    console.log(`${preset === 'demo' ? 'demo preset' : 'default config'}${flags.query ? ` with ${String(flags.query)}` : ''} from the shipped base, wasm with ${threads} threads; ${minutes} min`);
    console.log(`   s  it  ${ROWS.map((r) => r.name).join(' | ')}`);
    const started = Date.now();
    await page.getByTestId('start').click();
    const firstHalf = new Map<string, number>();
    let seen = 0;
    while (Date.now() - started < minutes * 60_000) {
      await page.waitForTimeout(1000);
      const history = await page.evaluate(() => (window as unknown as { asp: { history: unknown[] } }).asp.history as never as IterationMetrics[]);
      if (history.length === seen) continue;
      seen = history.length;
      const s = (Date.now() - started) / 1000;
      const shares = ROWS.map((r) => share(history, r));
      ROWS.forEach((r, i) => {
        if ((shares[i] ?? 0) >= 0.5 && !firstHalf.has(r.name)) firstHalf.set(r.name, s);
      });
      console.log(`${s.toFixed(0).padStart(4)} ${String(history.at(-1)?.iteration).padStart(3)}  ${shares.map(pct).join('   ')}`);
    }
    if (flags.screenshot !== undefined) {
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.screenshot({ path: String(flags.screenshot) });
      console.log(`saved ${String(flags.screenshot)}`);
    }
    console.log('first time a row held its ideal decision in at least half of its rollouts (last 5 iterations):');
    for (const r of ROWS) console.log(`  ${r.name}: ${firstHalf.has(r.name) ? `${firstHalf.get(r.name)?.toFixed(0)} s` : `not within ${minutes} min`}`);
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`demo:timing: ${errorMessage(e)}\n`);
  process.exitCode = 1;
});
