import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';

// The threaded build starts its pthread workers from `factory.toString()` in a Blob, so the factory must not use
// variables of its enclosing scope. Its only one, `_scriptDir`, is read under a typeof guard that minifiers drop
// (the variable is declared), and the workers then fail with "ReferenceError: e is not defined". In a worker (where
// the trainer runs) `_scriptDir` is always undefined, so the two reads are removed; a tfjs upgrade that changes them
// fails the build here rather than the threads at run time.
const THREADED_FACTORY_READS: [string, string][] = [
  ['if(typeof _scriptDir !== "undefined" && _scriptDir){scriptDirectory=_scriptDir}', ''],
  ['"urlOrBlob":Module["mainScriptUrlOrBlob"]||_scriptDir', '"urlOrBlob":Module["mainScriptUrlOrBlob"]'],
];

// TensorFlow.js's wasm backend fetches its .wasm binaries at run time from the folder given to setWasmPaths;
// this plugin puts them at wasm/ in the build (and serves them there in dev), next to index.html.
function tfjsWasm(): Plugin {
  const dir = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), '.');
  const files = readdirSync(dir).filter((f) => f.endsWith('.wasm'));
  return {
    name: 'tfjs-wasm-binaries',
    transform(code, id) {
      if (!id.split('?')[0]?.endsWith('tfjs-backend-wasm-threaded-simd.js')) return null;
      let out = code;
      for (const [from, to] of THREADED_FACTORY_READS) {
        if (!out.includes(from)) throw new Error(`tfjs-wasm-binaries: ${id} no longer contains ${from}: check the threaded wasm factory by hand`);
        out = out.replace(from, to);
      }
      return { code: out, map: null };
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const name = req.url?.split('?')[0]?.split('/wasm/')[1];
        if (!name || !files.includes(name)) return next();
        res.setHeader('Content-Type', 'application/wasm');
        res.end(readFileSync(join(dir, name)));
      });
    },
    generateBundle() {
      for (const f of files) this.emitFile({ type: 'asset', fileName: `wasm/${f}`, source: readFileSync(join(dir, f)) });
    },
  };
}

/** Files under `dir`, relative, with '/' separators. */
function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? listFiles(join(dir, f), `${prefix}${f}/`) : [`${prefix}${f}`]));
}

// The service worker (src/app/sw.js) with the list of files to keep for offline use: the whole build and the
// public folder, except the benchmark case files (megabytes; kept once the Benchmarks view fetched them).
function serviceWorker(): Plugin {
  let publicDir = '';
  return {
    name: 'offline-service-worker',
    apply: 'build',
    configResolved(config) {
      publicDir = config.publicDir;
    },
    generateBundle(_options, bundle) {
      // Not precached: the benchmark suites (fetched when opened) and a release run's working state (checkpoints/run,
      // committed while a run spans sessions; the page never reads it).
      const precached = (f: string) => (!f.startsWith('benchmarks/') || f === 'benchmarks/index.json') && !f.startsWith('checkpoints/run/');
      const files = ['./', 'index.html', ...Object.keys(bundle).filter((f) => f !== 'index.html'), ...listFiles(publicDir).filter(precached)];
      const source = `const PRECACHE = ${JSON.stringify(files.map((f) => (f === './' ? f : `./${f}`)))};\n${readFileSync(join(import.meta.dirname, 'src/app/sw.js'), 'utf8')}`;
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

// Cross-origin isolation: SharedArrayBuffer, so TensorFlow.js's wasm backend loads its threaded SIMD build and uses
// every core. Hosts that cannot set headers get the same from the service worker (src/app/sw.js).
const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// base './' so the built page works from any sub-path (a project page, a file server folder).
export default defineConfig({
  base: './',
  plugins: [svelte(), tfjsWasm(), serviceWorker()],
  worker: { format: 'es', plugins: () => [tfjsWasm()] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  server: { headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', port: 5173, strictPort: false, headers: ISOLATION_HEADERS },
});
