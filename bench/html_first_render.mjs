// html_first_render.mjs - how long pyrometer's html report takes to show its
// flame graph in headless Chromium, and how long its interactions take.
//
//   node bench/html_first_render.mjs PATH.html [--runs N]
//
// Prints, per run, the time from navigation start to the app's
// 'pyro-first-render' mark (set right after the first complete drawing of
// the flame graph, table included), then the median; then the time of a
// zoom, a search, a thread switch and a granularity switch as the app
// measures them (window.pyrometer: the call and its redraw). Needs
// /usr/bin/chromium (or $CHROMIUM) and tests/browser/node_modules.
import { statSync } from 'node:fs';
import { openPage } from '../tests/browser/launch.mjs';

const args = process.argv.slice(2);
const path = args.find((a) => !a.startsWith('--'));
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
if (!path) {
  console.error('usage: node bench/html_first_render.mjs PATH.html [--runs N]');
  process.exit(2);
}

const firsts = [];
let interactions = null;
for (let r = 0; r < runs; r++) {
  const o = await openPage(path);
  try {
    await o.page.goto(o.url, { timeout: 120000 });
    await o.page.waitForFunction(() => window.pyrometer && window.pyrometer.ready, null, { timeout: 120000 });
    const ms = await o.page.evaluate(() => performance.getEntriesByName('pyro-first-render')[0].startTime);
    firsts.push(ms);
    console.log(`run ${r + 1}: first render ${ms.toFixed(0)} ms`);
    if (r === runs - 1) {
      interactions = await o.page.evaluate(async () => {
        const p = window.pyrometer, out = {}, parts = {};
        // the call, then the next frame's style, layout and paint
        const T = async (name, a, b) => {
          const t0 = performance.now();
          p[name](a, b);
          const js = performance.now() - t0;
          await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
          parts[name + (a === undefined ? '' : ' ' + a)] = 'js ' + js.toFixed(1) + ' ' +
            JSON.stringify(p.timings(), (k, v) => typeof v === 'number' ? Math.round(v * 10) / 10 : v);
          return performance.now() - t0;
        };
        const big = p.visibleFrames().filter((f) => f.kind === 'frame').sort((x, y) => y.w - x.w)[0];
        out.zoom = await T('zoom', big.id);
        out.zoomOut = await T('reset');
        out.search = await T('search', 'func_1', false);
        out.searchRegex = await T('search', '^func_1[0-9]$', true);
        out.clearSearch = await T('search', '', false);
        const t = p.threads().filter((x) => x.value.startsWith('t') && !x.disabled);
        if (t.length) {
          out.threadFirst = await T('selectThread', t[0].value);
          out.threadBack = await T('selectThread', 'all');
          out.threadAgain = await T('selectThread', t[0].value);
          out.threadEach = await T('selectThread', 'each');
          out.threadEachBack = await T('selectThread', 'all');
        }
        out.lines = await T('setGranularity', 'line');
        out.functions = await T('setGranularity', 'fn');
        out.icicle = await T('setOrientation', 'icicle');
        out.parts = parts;
        out.state = p.state();
        return out;
      });
    }
    const bad = o.problems;
    if (bad.network.length || bad.console.length || bad.page.length)
      console.log('problems:', JSON.stringify(bad));
  } finally {
    await o.close();
  }
}
firsts.sort((a, b) => a - b);
console.log(`first render: median ${firsts[firsts.length >> 1].toFixed(0)} ms, best ${firsts[0].toFixed(0)} ms over ${runs} runs`);
console.log(`file size: ${(statSync(path).size / 1e6).toFixed(2)} MB`);
if (interactions) {
  const st = interactions.state;
  delete interactions.state;
  console.log(`tree: ${st.nodes} nodes, ${st.laidOut} frames drawn`);
  const parts = interactions.parts;
  delete interactions.parts;
  for (const [k, v] of Object.entries(interactions)) console.log(`${k}: ${v.toFixed(1)} ms`);
  if (args.includes('--parts')) for (const [k, v] of Object.entries(parts)) console.log(`  ${k}: ${v}`);
}
