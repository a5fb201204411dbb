// Browser test harness: builds the page once per test file, serves dist under a sub-path with a tiny static server,
// and drives Chromium with playwright-core: a system Chromium when one is found, else the one packaged in the npm
// package @sparticuz/chromium (so `npm ci && npm test` is the whole set-up). No browser at all is a loud failure.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const ROOT = join(import.meta.dirname, '..', '..');

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium'];

/** Set to 1 to pass over a system Chromium and use the packaged one (CI does, to prove a fresh machine works). */
export const IGNORE_SYSTEM_ENV = 'ASP_IGNORE_SYSTEM_CHROMIUM';

export interface ChromiumBinary {
  path: string;
  source: 'CHROMIUM_PATH' | 'system' | 'packaged';
  /** Extra environment for the browser process. */
  env: Record<string, string>;
}

/** CHROMIUM_PATH, else the first system Chromium found (unless told to ignore them), else the packaged one. */
export function findChromium(): ChromiumBinary {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return { path: fromEnv, source: 'CHROMIUM_PATH', env: {} };
  }
  const found = process.env[IGNORE_SYSTEM_ENV] === '1' ? undefined : CANDIDATES.find((p) => existsSync(p));
  return found ? { path: found, source: 'system', env: {} } : packagedChromium();
}

/**
 * The Chromium inside @sparticuz/chromium, unpacked once into node_modules/.cache. The package itself unpacks into
 * the shared /tmp, where two test files (or two checkouts) would race on a half-written binary; here it unpacks
 * into a private folder (TMPDIR in a child process) that is renamed into place only when complete.
 */
function packagedChromium(): ChromiumBinary {
  const require = createRequire(join(ROOT, 'package.json'));
  let pkgJson: string;
  try {
    // The package exports only its entry (build/index.js); package.json sits one folder up.
    pkgJson = join(dirname(require.resolve('@sparticuz/chromium')), '..', 'package.json');
  } catch {
    throw new Error(`no Chromium found (looked at ${CANDIDATES.join(', ')}) and @sparticuz/chromium is not installed: run npm ci, or set CHROMIUM_PATH`);
  }
  const { version } = JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string };
  const cache = join(ROOT, 'node_modules', '.cache', `sparticuz-chromium-${version}`);
  const binary = { path: join(cache, 'chromium'), source: 'packaged' as const, env: { FONTCONFIG_FILE: join(cache, 'fonts.conf') } };
  if (existsSync(binary.path)) return binary;
  mkdirSync(dirname(cache), { recursive: true });
  const staging = mkdtempSync(`${cache}.partial-`);
  try {
    // executablePath() unpacks the browser, its SwiftShader (software Vulkan for WebGPU) and fonts into $TMPDIR.
    execFileSync(process.execPath, ['--input-type=module', '-e', "await (await import('@sparticuz/chromium')).default.executablePath();"], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: staging },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    // The packaged fonts.conf names Lambda's folders; this one adds the packaged fonts to the system's.
    writeFileSync(
      join(staging, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
        `  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n  <dir>${join(cache, 'fonts', 'fonts')}</dir>\n` +
        `  <cachedir>${join(cache, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    renameSync(staging, cache);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    // Another process finished unpacking first: its copy is as good.
    if (!existsSync(binary.path)) throw new Error(`unpacking @sparticuz/chromium ${version} failed: ${(e as Error).message}`);
  }
  return binary;
}

/**
 * Flags known to work on a machine without GPU: --enable-unsafe-webgpu gives navigator.gpu a SwiftShader
 * (software Vulkan) adapter, vendor "google", architecture "swiftshader", on http://127.0.0.1 pages.
 */
export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu'];

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.jsonl': 'application/x-ndjson',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Builds the page into a fresh temp folder (so tests never race a developer's dist/). */
export function buildPage(): string {
  const out = mkdtempSync(join(tmpdir(), 'asp-e2e-'));
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'error'], {
    cwd: ROOT,
    // vitest sets NODE_ENV=test, which would give a development build (no service worker, Svelte dev checks).
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return out;
}

/** Serves `dir` at http://127.0.0.1:<free port>/<prefix>/ (a sub-path, as on a project page). */
export async function serve(dir: string, prefix = '/asp/'): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] as string);
    if (!path.startsWith(prefix)) {
      res.writeHead(404).end('not found');
      return;
    }
    let file = normalize(join(dir, path.slice(prefix.length)));
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('static server has no port');
  return {
    url: `http://127.0.0.1:${address.port}${prefix}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let announced = false;

export async function launch(opts: { webgpu: boolean }): Promise<Browser> {
  const binary = findChromium();
  if (!announced) {
    announced = true;
    console.log(`browser tests: ${binary.source} Chromium at ${binary.path}`);
  }
  return chromium.launch({
    executablePath: binary.path,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...(opts.webgpu ? WEBGPU_FLAGS : [])],
    // The browser takes its locale from LANG; C.UTF-8 (a bare machine's) gives "en-US@posix", which Intl rejects.
    env: { ...process.env, LANG: 'en_US.UTF-8', ...binary.env },
  });
}

/** A fresh context (own IndexedDB) and page that records console errors, page errors and long main-thread tasks. */
export async function openPage(browser: Browser, opts: { serviceWorkers?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  // Service workers are off unless a test is about them, so every other test sees the server's files as they are.
  const context = await browser.newContext({ serviceWorkers: opts.serviceWorkers ? 'allow' : 'block' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: number[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  return { context, page, errors };
}

/** A model and batch small enough that an iteration takes seconds on a software GPU or 2 CPU cores. */
export const TINY =
  'model.dModel=16&model.nLayers=1&model.nHeads=2&model.dFF=32&model.contextLength=384' +
  '&sft.steps=2&sft.batchSize=2&maxTurns=3&grpo.episodesPerIteration=2&grpo.groupSize=2&grpo.maxNewTokens=24&grpo.updatesPerIteration=1&start=scratch';

export async function iteration(page: Page): Promise<number> {
  const text = await page.getByTestId('iteration').textContent();
  return Number(/(\d+)/.exec(text ?? '')?.[1] ?? NaN);
}

/** Waits until the status is one of `statuses` (the page sets data-status). */
export async function waitStatus(page: Page, statuses: string[], timeout = 120_000): Promise<string> {
  const sel = statuses.map((s) => `[data-testid=status][data-status="${s}"]`).join(', ');
  await page.waitForSelector(sel, { timeout });
  return (await page.getByTestId('status').getAttribute('data-status')) as string;
}
