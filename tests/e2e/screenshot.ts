// Makes docs/screenshot.png for the README: the built page at 1280×720 (a projector) after a few minutes of the demo
// preset on wasm, from the shipped base checkpoint when there is one (else a small model pretrained from scratch
// first). Prints each iteration's time and accuracy, the figures behind "time to visible learning".
// Run: node --import tsx tests/e2e/screenshot.ts [minutes]
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildPage, launch, openPage, serve, waitStatus } from './harness';

const ROOT = join(import.meta.dirname, '..', '..');
const minutes = Number(process.argv[2] ?? 5);
const fromBase = existsSync(join(ROOT, 'public', 'checkpoints', 'base', 'manifest.json'));
const query = fromBase
  ? 'preset=demo'
  : 'model.dModel=32&model.nLayers=2&model.nHeads=2&model.dFF=64&model.contextLength=512' +
    '&sft.steps=120&sft.batchSize=8&grpo.episodesPerIteration=6&grpo.groupSize=4&grpo.maxNewTokens=48&start=scratch';
const dir = buildPage();
const server = await serve(dir);
const browser = await launch({ webgpu: false });
try {
  // The service worker on, as a visitor gets the page: it makes the page cross-origin isolated (wasm threads).
  const { page } = await openPage(browser, { serviceWorkers: true });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`${server.url}?${query}`);
  await page.waitForFunction(() => crossOriginIsolated, null, { timeout: 60_000 });
  if (!fromBase) {
    await waitStatus(page, ['needs-base']);
    await page.getByTestId('pretrain').click();
  }
  await waitStatus(page, ['ready'], 600_000);
  console.log(`badge: ${(await page.getByTestId('badge').textContent())?.replace(/\s+/g, ' ').trim()}`);
  const started = Date.now();
  await page.getByTestId('start').click();
  await page.waitForTimeout(minutes * 60_000);
  await page.getByTestId('pause').click();
  await waitStatus(page, ['ready'], 300_000);
  const history = await page.evaluate(() =>
    (window as unknown as { asp: { history: { iteration: number; seconds: number; accuracy: { overall: number | null }; reward: { total: number } }[] } }).asp.history.map((m) => ({
      iteration: m.iteration,
      seconds: m.seconds,
      accuracy: m.accuracy.overall,
      reward: m.reward.total,
    })),
  );
  let elapsed = 0;
  for (const m of history) {
    elapsed += m.seconds;
    console.log(`iteration ${m.iteration}: ${elapsed.toFixed(0)} s, accuracy ${m.accuracy === null ? '-' : (m.accuracy * 100).toFixed(0)}%, reward ${m.reward.toFixed(3)}`);
  }
  console.log(`wall time ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const out = join(ROOT, 'docs');
  mkdirSync(out, { recursive: true });
  await page.screenshot({ path: join(out, 'screenshot.png') });
  console.log(`wrote ${join(out, 'screenshot.png')} (${fromBase ? 'demo preset from the shipped base' : 'from scratch'})`);
} finally {
  await browser.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
