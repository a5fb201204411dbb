// The browser the tests drive: a system Chromium when one is found, else the one packaged in node_modules, which must
// give WebGPU a software adapter on a 127.0.0.1 page so the WebGPU tests run on a machine with nothing installed.
import { afterEach, describe, expect, it } from 'vitest';
import { findChromium, IGNORE_SYSTEM_ENV, launch, serve } from './harness';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const saved = { path: process.env.CHROMIUM_PATH, ignore: process.env[IGNORE_SYSTEM_ENV] };

afterEach(() => {
  for (const [key, value] of [['CHROMIUM_PATH', saved.path], [IGNORE_SYSTEM_ENV, saved.ignore]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe('the browser harness', () => {
  it('CHROMIUM_PATH wins over the system and packaged browsers, and a wrong one is named', () => {
    delete process.env[IGNORE_SYSTEM_ENV];
    process.env.CHROMIUM_PATH = process.execPath; // any existing file: the harness only checks that it is there
    expect(findChromium()).toEqual({ path: process.execPath, source: 'CHROMIUM_PATH', env: {} });
    process.env.CHROMIUM_PATH = '/nowhere/chromium';
    expect(() => findChromium()).toThrow('CHROMIUM_PATH=/nowhere/chromium does not exist');
  });

  it('told to ignore the system browser, launches the packaged Chromium with a WebGPU software adapter', async () => {
    delete process.env.CHROMIUM_PATH;
    process.env[IGNORE_SYSTEM_ENV] = '1';
    const binary = findChromium();
    expect(binary.source).toBe('packaged');
    expect(binary.path).toMatch(/node_modules\/\.cache\/sparticuz-chromium-153\.\d+\.\d+\/chromium$/);

    const dir = mkdtempSync(join(tmpdir(), 'asp-harness-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>gpu</title>');
    const server = await serve(dir);
    const browser = await launch({ webgpu: true });
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      const adapter = await page.evaluate(async () => {
        // GPUAdapter.info is newer than TypeScript's DOM types.
        const a = (await navigator.gpu?.requestAdapter()) as unknown as { info: { vendor: string; architecture: string } } | null;
        return a ? { vendor: a.info.vendor, architecture: a.info.architecture } : null;
      });
      expect(adapter).toEqual({ vendor: 'google', architecture: 'swiftshader' });
      expect(browser.version()).toMatch(/^153\./);
    } finally {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
