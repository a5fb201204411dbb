// Page entry: the Playground (state + workers) and the Svelte views. Workers are built by Vite from workers/.
import { mount } from 'svelte';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { errorMessage } from '../core/errors';
import App from './App.svelte';
import { Playground } from './playground.svelte';

const makeTrainer = (): Worker => new Worker(new URL('../../workers/trainer.worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
const makeSandbox = (): Worker => new Worker(new URL('../../workers/sandbox.worker.ts', import.meta.url), { type: 'module', name: 'sandbox' });

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

let playground: Playground | null = null;
let urlError: string | null = null;
try {
  playground = new Playground(location.search, makeTrainer, makeSandbox, document.baseURI);
} catch (e) {
  urlError = errorMessage(e);
}
mount(App, { target, props: { playground, urlError } });
if (playground) {
  // Tests and curious students reach the state from the console.
  (window as unknown as { asp: Playground }).asp = playground;
  void playground.boot();
}

// Offline once loaded: the service worker keeps every file the page fetched (production builds only). It also adds
// the cross-origin isolation headers a static host may not send; they apply from the next load, so the first time
// it takes control the page reloads once (unless training already began: then the next visit has the threads).
const RELOADED_KEY = 'asp-isolation-reload';
function reloadIsolated(): void {
  if (crossOriginIsolated || sessionStorage.getItem(RELOADED_KEY) || (playground && playground.status !== 'booting' && playground.status !== 'ready' && playground.status !== 'needs-base')) return;
  sessionStorage.setItem(RELOADED_KEY, '1');
  location.reload();
}
if (crossOriginIsolated) sessionStorage.removeItem(RELOADED_KEY);
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker
    .register(new URL('sw.js', document.baseURI))
    .then(() => {
      if (navigator.serviceWorker.controller) reloadIsolated();
      else navigator.serviceWorker.addEventListener('controllerchange', reloadIsolated, { once: true });
    })
    .catch(() => {});
}
