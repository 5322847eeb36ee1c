// html_check.mjs - drive pyrometer's html report (or html diff) in headless
// Chromium through its real controls and report what it showed.
//
//   node tests/browser/html_check.mjs SCENARIO PATH.html
//
// Scenarios: profile, hostile, empty, memory, diff-same, diff-grew. Prints one JSON
// object: { problems, failures, obs }. problems are network requests (all
// refused), console errors, page errors and dialogs; failures are checks
// that need nothing but the page (zoomed frames descend from the clicked
// one, ...); obs are observations that tests/e2e/test_html.py compares with
// the collapsed format. Exits 0 whenever it could report.
import { openPage } from './launch.mjs';

const [, , scenario, path] = process.argv;
if (!scenario || !path) {
  console.error('usage: node html_check.mjs SCENARIO PATH.html');
  process.exit(2);
}

const failures = [];
function check(ok, what, detail) {
  if (!ok) failures.push(detail === undefined ? what : `${what}: ${JSON.stringify(detail)}`);
  return ok;
}

const api = (page, fn, ...args) => page.evaluate(([f, a]) => {
  const p = window.pyrometer;
  return typeof p[f] === 'function' ? p[f](...a) : p[f];
}, [fn, args]);

async function center(page, frame) {
  await page.mouse.click(frame.x + Math.min(frame.w / 2, 40), frame.y + frame.h / 2);
}

// Structure checks every page must pass, and what they saw.
async function basics(page) {
  const o = {};
  o.scripts = await page.evaluate(() => Array.from(document.scripts).map((s) => s.type || 'classic'));
  o.images = await page.evaluate(() => document.images.length);
  o.iframes = await page.evaluate(() => document.querySelectorAll('iframe, object, embed').length);
  check(o.scripts.length === 2, 'exactly the data and the app script', o.scripts);
  check(o.images === 0 && o.iframes === 0, 'no images or frames in the page', o);
  o.state = await api(page, 'state');
  o.threads = await api(page, 'threads');
  o.meta = await page.evaluate(() => Array.from(document.querySelectorAll('#meta div')).map((d) => [d.children[0].textContent, d.children[1].textContent]));
  o.title = await page.title();
  return o;
}

async function profile(page) {
  const obs = await basics(page);
  const st0 = obs.state;
  check(st0.zoom === 0 && st0.selection === 'all' && st0.granularity === 'fn', 'initial state', st0);
  obs.firstRender = await api(page, 'firstRenderMs');

  // Hover: the tooltip names the frame and its time.
  let frames = await api(page, 'visibleFrames', { paths: true });
  const depth1 = frames.filter((f) => f.depth === 1 && f.onScreen).sort((a, b) => b.w - a.w);
  check(depth1.length > 0, 'frames under the root are drawn');
  const target = depth1[0];
  await page.mouse.move(target.x + Math.min(target.w / 2, 40), target.y + target.h / 2);
  obs.tip = await page.evaluate(() => ({ hidden: document.getElementById('tip').hidden, name: (document.querySelector('#tip .n') || {}).textContent, text: document.getElementById('tip').textContent }));
  check(!obs.tip.hidden && obs.tip.name === target.name, 'hover shows the frame', { tip: obs.tip, target: target.name });
  check(/samples/.test(obs.tip.text) && /of view/.test(obs.tip.text) && /self/.test(obs.tip.text), 'tooltip has total, self, samples and share', obs.tip.text);

  // Zoom by clicking a frame two levels down, then check what is shown.
  const deeper = frames.filter((f) => f.depth === 2 && f.onScreen && f.w > 20).sort((a, b) => b.w - a.w)[0] || target;
  await center(page, deeper);
  const zst = await api(page, 'state');
  const path = await api(page, 'rootPath');
  const crumbs = await api(page, 'crumbs');
  frames = await api(page, 'visibleFrames', { paths: true });
  check(zst.zoom === deeper.id, 'click zooms to the frame clicked', { zoom: zst.zoom, clicked: deeper.id });
  check(JSON.stringify(path.map((p) => p.id)) === JSON.stringify(deeper.path), 'root path is the clicked frame\'s ancestry', { path, expected: deeper.path });
  check(JSON.stringify(crumbs) === JSON.stringify(path.map((p) => p.name)), 'breadcrumb shows the root path', { crumbs, path });
  const below = frames.filter((f) => f.depth > deeper.depth);
  check(below.length > 0, 'zoomed view shows descendants');
  const strangers = below.filter((f) => f.path[deeper.depth] !== deeper.id);
  check(strangers.length === 0, 'zoomed frames all descend from the clicked one', strangers.slice(0, 3).map((f) => f.name));
  const zoomed = frames.find((f) => f.id === deeper.id);
  const W = await page.evaluate(() => document.getElementById('graph').clientWidth);
  check(zoomed && Math.abs(zoomed.w - W) < 1, 'zoomed frame spans the width', { w: zoomed && zoomed.w, W });
  const kidsW = below.filter((f) => f.depth === deeper.depth + 1).reduce((s, f) => s + f.w, 0);
  check(kidsW <= W + 1, 'children fit in their parent', { kidsW, W });
  check(Math.abs(zst.viewTotals[0] - deeper.total) < 1e-6 * deeper.total + 1, 'view total is the zoomed frame\'s', { view: zst.viewTotals, total: deeper.total });
  obs.zoom = { name: deeper.name, total: deeper.total, ancestry: path.map((p) => p.name) };
  // Zoom out with the breadcrumb's first button.
  await page.click('#crumbs button >> nth=0');
  check((await api(page, 'state')).zoom === 0, 'breadcrumb root zooms out');

  // Search, through the input (substring, any case), then as a regex.
  await page.fill('#search', 'FUNC_1');
  const s1 = await api(page, 'state');
  obs.searchText = { share: s1.matchedShare, ns: s1.matchedNs[0], label: await page.textContent('#match') };
  frames = await api(page, 'visibleFrames');
  const hits = frames.filter((f) => f.matched);
  check(hits.every((f) => f.name.toLowerCase().includes('func_1') || f.file.toLowerCase().includes('func_1')), 'only matches are highlighted', hits.slice(0, 3));
  check(s1.matchedShare < 0.01 || hits.length > 0, 'matches are highlighted', s1);
  await page.check('#regex');
  await page.fill('#search', '^func_1[0-9]$');
  const s2 = await api(page, 'state');
  obs.searchRegex = { share: s2.matchedShare, ns: s2.matchedNs[0], regex: s2.regex };
  await page.fill('#search', '(unclosed');
  const s3 = await api(page, 'state');
  check(s3.searchError !== '' && s3.matchedShare === 0, 'a bad regex is reported, not thrown', s3);
  await page.fill('#search', '');
  await page.uncheck('#regex');
  check((await api(page, 'state')).matchedShare === 0, 'clearing the search clears the match');

  // Threads: each thread's tree, and one root per thread.
  obs.threadInfo = await api(page, 'threadInfo');
  obs.perThread = [];
  for (const t of obs.threads.filter((x) => x.value.startsWith('t') && !x.disabled)) {
    await page.selectOption('#thread', t.value);
    const st = await api(page, 'state');
    const root = (await api(page, 'visibleFrames')).find((f) => f.kind === 'root');
    obs.perThread.push({ value: t.value, label: t.label, total: st.rootTotals[0], samples: st.rootSamples[0], root: root.name });
  }
  await page.selectOption('#thread', 'all');
  obs.allTotal = (await api(page, 'state')).rootTotals[0];
  obs.allSamples = (await api(page, 'state')).rootSamples[0];
  // Zoom survives a thread switch when the path exists there.
  frames = await api(page, 'visibleFrames');
  const z = frames.filter((f) => f.depth === 1).sort((a, b) => b.w - a.w)[0];
  await center(page, z);
  const firstThread = obs.threads.find((x) => x.value.startsWith('t') && !x.disabled);
  await page.selectOption('#thread', firstThread.value);
  const kept = await api(page, 'rootPath');
  check(kept.length === 1 || kept[1].name === z.name, 'zoom kept across a thread switch when it exists', { kept, z: z.name });
  await page.selectOption('#thread', 'all');
  await page.click('#reset');

  // Function table: sortable, totals, click to highlight.
  obs.columns = await api(page, 'columns');
  let rows = await api(page, 'tableRows');
  check(rows.length > 0, 'table has rows');
  check(rows.every((r, i) => i === 0 || rows[i - 1].self >= r.self), 'table sorted by self time', rows.slice(0, 5).map((r) => r.self));
  await page.click('#thead th[data-col="total"]');
  rows = await api(page, 'tableRows');
  check(rows.every((r, i) => i === 0 || rows[i - 1].total >= r.total), 'header click sorts by total', rows.slice(0, 5).map((r) => r.total));
  await page.click('#thead th[data-col="total"]');
  rows = await api(page, 'tableRows');
  check(rows.every((r, i) => i === 0 || rows[i - 1].total <= r.total), 'second click sorts ascending');
  await page.click('#thead th[data-col="self"]');
  rows = await api(page, 'tableRows');
  obs.table = rows.map((r) => ({ name: r.name, file: r.file, line: r.line, self: r.self, total: r.total, samples: r.samples, cells: r.cells }));
  obs.tableLength = await api(page, 'tableLength');
  const pick = rows[Math.min(2, rows.length - 1)];
  await page.click(`#tbody tr >> nth=${Math.min(2, rows.length - 1)}`);
  const sp = await api(page, 'state');
  rows = await api(page, 'tableRows');
  check(rows[Math.min(2, rows.length - 1)].selected, 'clicked row is marked');
  check(await page.inputValue('#search') === pick.name, 'row click puts the name in the search box');
  check(Math.abs(sp.matchedNs[0] - pick.total) <= 1e-9 * pick.total + 1, 'row click highlights exactly that function\'s total', { matched: sp.matchedNs[0], total: pick.total });
  obs.picked = { name: pick.name, matched: sp.matchedNs[0], share: sp.matchedShare };
  await page.fill('#search', '');

  // Orientation: the root row at the bottom (flame), then at the top (icicle).
  const rootFlame = (await api(page, 'visibleFrames')).find((f) => f.kind === 'root');
  await page.click('#orient-icicle');
  const rootIcicle = (await api(page, 'visibleFrames')).find((f) => f.kind === 'root');
  const box = await page.evaluate(() => { const r = document.getElementById('graph').getBoundingClientRect(); return { top: r.top, bottom: r.bottom }; });
  check(rootIcicle.y < box.top + 20 && rootFlame.y > rootIcicle.y, 'icicle puts the root on top', { rootFlame: rootFlame.y, rootIcicle: rootIcicle.y, box });
  await page.click('#orient-flame');

  // Lines, and one root per thread: stacks to compare with the collapsed format.
  await page.click('#gran-line');
  check((await api(page, 'state')).granularity === 'line', 'line granularity');
  obs.lineStacksAll = await api(page, 'stacks');
  obs.lineTable = (await api(page, 'tableRows')).slice(0, 5).map((r) => ({ name: r.name, line: r.line, self: r.self }));
  await page.selectOption('#thread', 'each');
  obs.lineStacksEach = await api(page, 'stacks');
  const roots = (await api(page, 'visibleFrames')).filter((f) => f.kind === 'thread');
  obs.threadRoots = roots.map((f) => ({ name: f.name, total: f.total }));
  await page.click('#gran-fn');
  obs.fnStacksEach = await api(page, 'stacks');
  await page.selectOption('#thread', 'all');

  // Keyboard: '/' focuses the search, Escape resets the zoom.
  frames = await api(page, 'visibleFrames');
  await center(page, frames.filter((f) => f.depth === 1).sort((a, b) => b.w - a.w)[0]);
  await page.locator('#graph').focus();
  await page.keyboard.press('Escape');
  check((await api(page, 'state')).zoom === 0, 'Escape zooms out');
  await page.keyboard.press('/');
  check(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'search', '/ focuses the search');
  return obs;
}

const HOSTILE = ['<img src=x onerror=alert(1)>', '</script><script>alert(2)</script>', 'semi;colon', 'new\nline',
  'quote"and\\back', 'caf\u00e9_\u65e5\u672c', 'amp&lt;entity', 'line\u2028sep'];

async function hostile(page) {
  const obs = await basics(page);
  // Every hostile name is in the table as text (the exact string).
  let names = await page.evaluate(() => Array.from(document.querySelectorAll('#tbody td.name')).map((td) => td.textContent));
  obs.tableNames = names;
  for (const h of HOSTILE) check(names.includes(h), 'hostile name shown as text in the table', h);
  // The img one, in its own cell, with no child elements.
  const cell = await page.evaluate((n) => {
    const td = Array.from(document.querySelectorAll('#tbody td.name')).find((t) => t.textContent === n);
    return td ? { children: td.children.length, text: td.textContent } : null;
  }, HOSTILE[0]);
  check(cell && cell.children === 0 && cell.text === HOSTILE[0], 'the <img> name is one text node', cell);
  // Hover and zoom on a hostile frame: tooltip and breadcrumb show it as text.
  await page.click('#orient-icicle');
  let frames = await api(page, 'visibleFrames', { onScreen: true });
  const hf = frames.filter((f) => HOSTILE.includes(f.name) && f.w > 8).sort((a, b) => b.w - a.w)[0];
  if (check(!!hf, 'a hostile frame is drawn', frames.slice(0, 5).map((f) => f.name))) {
    await page.mouse.move(hf.x + Math.min(hf.w / 2, 20), hf.y + hf.h / 2);
    obs.tipName = await page.evaluate(() => (document.querySelector('#tip .n') || {}).textContent);
    check(obs.tipName === hf.name, 'tooltip shows the hostile name as text', { tip: obs.tipName, name: hf.name });
    await center(page, hf);
    const crumbs = await api(page, 'crumbs');
    check(crumbs[crumbs.length - 1] === hf.name, 'breadcrumb shows the hostile name as text', crumbs);
    obs.zoomedHostile = hf.name;
  }
  // Search for markup: found as text.
  await page.fill('#search', '<img');
  const st = await api(page, 'state');
  check(st.matchedShare > 0, 'searching for markup finds it', st);
  obs.markupShare = st.matchedShare;
  await page.fill('#search', '');
  obs.imagesAfter = await page.evaluate(() => document.images.length);
  obs.scriptsAfter = await page.evaluate(() => document.scripts.length);
  obs.injected = await page.evaluate(() => document.querySelectorAll('img, iframe, object, embed, svg, script:not(#pyro-data)').length);
  check(obs.imagesAfter === 0 && obs.scriptsAfter === 2 && obs.injected === 1, 'nothing injected', obs);
  check(obs.title.startsWith('pyrometer: '), 'title set as text', obs.title);
  await page.click('#reset');
  obs.table = (await api(page, 'tableRows')).map((r) => ({ name: r.name, file: r.file, line: r.line, self: r.self, total: r.total }));
  return obs;
}

async function empty(page) {
  const obs = await basics(page);
  obs.rows = (await api(page, 'tableRows')).length;
  await page.fill('#search', 'x');
  await page.click('#gran-line');
  await page.selectOption('#thread', 'each');
  await page.click('#orient-icicle');
  obs.after = await api(page, 'state');
  return obs;
}

async function diff(page, grew) {
  const obs = await basics(page);
  check(obs.state.normalized === true, 'a diff starts normalised', obs.state);
  check(await page.isHidden('#thread-field'), 'no thread choice in a diff');
  const collect = async () => {
    const frames = await api(page, 'visibleFrames');
    const rows = await api(page, 'tableRows');
    return {
      frames: frames.filter((f) => f.kind === 'frame').map((f) => ({ name: f.name, depth: f.depth, before: f.before, after: f.after, delta: f.delta, color: f.color })),
      root: frames.find((f) => f.kind === 'root'),
      rows: rows.map((r) => ({ name: r.name, sb: r.sb, sa: r.sa, dself: r.dself, tb: r.tb, ta: r.ta, dtotal: r.dtotal, share: r.share, cells: r.cells })),
      state: await api(page, 'state'),
    };
  };
  obs.norm = await collect();
  await page.click('#norm-abs');
  obs.abs = await collect();
  check(obs.abs.state.normalized === false, 'absolute toggle');
  // Hover the frame that changed most: before, after and change in the tooltip.
  const frames = await api(page, 'visibleFrames', { onScreen: true });
  const f = frames.filter((x) => x.kind === 'frame' && x.w > 6).sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta))[0];
  await page.mouse.move(f.x + Math.min(f.w / 2, 20), f.y + f.h / 2);
  obs.tip = await page.evaluate(() => document.getElementById('tip').textContent);
  obs.tipFrame = { name: f.name, delta: f.delta };
  check(/before/.test(obs.tip) && /after/.test(obs.tip) && /change/.test(obs.tip), 'diff tooltip has before, after, change', obs.tip);
  if (grew) {
    await page.click('#gran-line');
    obs.absLine = await collect();
    await page.click('#gran-fn');
  }
  // Sort by the change in total; click the top row to highlight it.
  await page.click('#thead th[data-col="dtotal"]');
  obs.sortedByDtotal = (await api(page, 'tableRows')).map((r) => Math.abs(r.dtotal));
  return obs;
}

// A profile with memory: the measure control, the flame graph per memory measure
// (its stacks, for test_html.py to compare with the file), the thread control
// disabled meanwhile, byte tooltips, and the memory-over-time plot with its peak.
async function memory(page) {
  const obs = await basics(page);
  obs.measures = await api(page, 'measures');
  obs.memory = await api(page, 'memory');
  check(obs.memory && obs.memory.visible, 'the memory plot is shown', obs.memory);
  const plot = obs.memory && obs.memory.plot;
  check(plot && plot.points > 0 && plot.peakX >= plot.x0 && plot.peakX <= plot.x1 + 1, 'the plot drew points and the peak inside it', plot);
  obs.initial = (await api(page, 'state')).measure;
  obs.by = {};
  for (const m of ['alloc', 'peak', 'live', 'temp']) {
    await page.selectOption('#measure', m);
    const st = await api(page, 'state');
    check(st.measure === m, 'the measure control switched to ' + m, st.measure);
    const threads = await page.evaluate(() => ({ disabled: document.getElementById('thread').disabled, n: document.getElementById('thread').options.length }));
    check(threads.disabled && threads.n === 1, 'threads control disabled for memory', threads);
    const rows = await api(page, 'tableRows');
    const head = await page.evaluate(() => Array.from(document.querySelectorAll('#thead th')).map((t) => t.textContent));
    obs.by[m] = { stacks: await api(page, 'stacks'), root: st.rootTotals[0], head, firstRow: rows.length ? rows[0].cells : null,
      legend: await page.evaluate(() => document.getElementById('legend').textContent) };
    const frames = (await api(page, 'visibleFrames', { onScreen: true })).filter((f) => f.kind === 'frame' && f.w > 8).sort((a, b) => b.w - a.w);
    if (frames.length) {
      await page.mouse.move(frames[0].x + Math.min(frames[0].w / 2, 20), frames[0].y + frames[0].h / 2);
      obs.by[m].tip = await page.evaluate(() => document.getElementById('tip').textContent);
      obs.by[m].tipFrame = frames[0].name;
    }
  }
  // Hover the plot at the peak: the tooltip gives the heap there.
  await page.mouse.move(0, 0);
  const box = await page.evaluate(() => { const r = document.getElementById('mem-canvas').getBoundingClientRect(); return { x: r.left, y: r.top }; });
  if (plot) {
    await page.mouse.move(box.x + plot.peakX, box.y + (plot.y0 + plot.y1) / 2);
    obs.plotTip = await page.evaluate(() => document.getElementById('tip').textContent);
  }
  // Back to time: the thread control comes back.
  await page.selectOption('#measure', 'time');
  obs.timeState = await api(page, 'state');
  obs.timeThreadsDisabled = await page.evaluate(() => document.getElementById('thread').disabled);
  return obs;
}

const o = await openPage(path);
let obs = null;
try {
  await o.page.goto(o.url);
  await o.page.waitForFunction(() => window.pyrometer && window.pyrometer.ready, null, { timeout: 60000 });
  if (scenario === 'profile') obs = await profile(o.page);
  else if (scenario === 'hostile') obs = await hostile(o.page);
  else if (scenario === 'empty') obs = await empty(o.page);
  else if (scenario === 'memory') obs = await memory(o.page);
  else if (scenario === 'diff-same') obs = await diff(o.page, false);
  else if (scenario === 'diff-grew') obs = await diff(o.page, true);
  else failures.push('unknown scenario ' + scenario);
  // let any late error or request surface
  await o.page.waitForTimeout(200);
} catch (e) {
  failures.push('driver: ' + (e && e.stack || e));
} finally {
  await o.close();
}
const problems = o.problems;
console.log(JSON.stringify({ problems, failures, obs }));
