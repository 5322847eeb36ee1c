/*
 * app.js - the html report's app: flame graph / icicle on a <canvas>, zoom,
 * search, threads, function or line granularity, and the table; for a diff
 * (two runs in the data) the same app draws the differential flame graph.
 *
 * Data (html.c writes it; docs/FORMATS.md "html"): strings; fns as
 * (name, file, first_line) triples; frames as (fn, line) pairs; per run its
 * stacks as (parent, frame) pairs with parent < child, and per thread its
 * leaves as (stack delta, weight_ns, samples) triples; with record --memory,
 * its memory: sites as (stack, allocations, allocated, at peak, leaked,
 * temporary) and the heap and RSS over time as (ms, heap, rss) triples.
 * The measure (time, or one of the memory ones) picks which weights the
 * flame graph and table show; memory is per stack, not per thread.
 *
 * Rules this file keeps: names from the profile reach the page only through
 * fillText and textContent (never innerHTML or attributes that parse); no
 * recursion (stacks may be thousands deep); nothing is fetched. Trees are
 * built once per (selection, granularity) with typed arrays and cached, and
 * only frames at least MIN_W px wide are laid out, so zoom, search and
 * thread switches stay fast on a million samples.
 *
 * window.pyrometer exposes the state and a few actions for the tests
 * (tests/browser/html_check.mjs) and for anyone scripting the page.
 */
(function () {
  'use strict';

  var ROW = 18;            // px per frame row
  var MIN_W = 0.5;         // narrower frames are not drawn (nor their children)
  var TABLE_FIRST = 60;    // table rows put in the DOM at once (more as it scrolls)
  var TABLE_MAX = 2000;    // at most this many
  var FONT = '12px ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace';

  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // ---------------------------------------------------------------- data
  var D = JSON.parse($('pyro-data').textContent);
  var DIFF = D.kind === 'diff';
  var S = D.strings;
  var nFn = (D.fns.length / 3) | 0, nFrame = (D.frames.length / 2) | 0;
  var fnName = new Int32Array(nFn), fnFile = new Int32Array(nFn), fnLine = new Int32Array(nFn);
  var frFn = new Int32Array(nFrame), frLine = new Int32Array(nFrame);
  (function () {
    var i, f = D.fns, r = D.frames;
    for (i = 0; i < nFn; i++) { fnName[i] = f[3 * i]; fnFile[i] = f[3 * i + 1]; fnLine[i] = f[3 * i + 2]; }
    for (i = 0; i < nFrame; i++) { frFn[i] = r[2 * i]; frLine[i] = r[2 * i + 1]; }
  })();

  function decodeRun(r) {
    var n = (r.stacks.length / 2) | 0, i, parent = new Int32Array(n), frame = new Int32Array(n);
    for (i = 0; i < n; i++) { parent[i] = r.stacks[2 * i]; frame[i] = r.stacks[2 * i + 1]; }
    var threads = r.threads.map(function (t, ti) {
      var a = r.leaves[ti] || [], m = (a.length / 3) | 0, st = new Int32Array(m),
        w = new Float64Array(m), sm = new Float64Array(m), s = 0, tot = 0, k;
      for (k = 0; k < m; k++) {
        s += a[3 * k]; st[k] = s; w[k] = a[3 * k + 1]; sm[k] = a[3 * k + 2]; tot += w[k];
      }
      return { index: ti, tid: t.tid, pthread: t.pthread, interp: t.interp, name: t.name,
        ns: t.ns, samples: t.samples, leaves: { stack: st, w: w, s: sm, n: m }, pyNs: tot };
    });
    var pyNs = 0;
    threads.forEach(function (t) { pyNs += t.pyNs; });
    return { meta: r.meta, nStacks: n, parent: parent, frame: frame, threads: threads, pyNs: pyNs,
      timeThreads: threads, timeNs: pyNs, mem: decodeMemory(r.memory) };
  }

  // Memory measures: the site column each weighs by.
  var MEASURES = {
    alloc: { col: 2, label: 'Memory: allocated', what: 'bytes allocated' },
    peak: { col: 3, label: 'Memory: held at the peak', what: 'bytes held at the peak' },
    live: { col: 4, label: 'Memory: leaked (held at exit)', what: 'bytes still held at exit' },
    temp: { col: 5, label: 'Memory: temporary', what: 'bytes freed soon after allocation' }
  };
  function decodeMemory(M) {
    if (!M) return null;
    var n = (M.sites.length / 6) | 0, out = { info: M, threads: {}, totals: {}, noFrame: {} }, k, i;
    Object.keys(MEASURES).forEach(function (name) {
      var col = MEASURES[name].col, m = 0, tot = 0, none = 0;
      for (k = 0; k < n; k++) if (M.sites[6 * k + col] > 0 && M.sites[6 * k] >= 0) m++;
      var st = new Int32Array(m), w = new Float64Array(m), sm = new Float64Array(m);
      for (k = 0, i = 0; k < n; k++) {
        var v = M.sites[6 * k + col];
        if (!(v > 0)) continue;
        if (M.sites[6 * k] < 0) { none += v; continue; }
        st[i] = M.sites[6 * k]; w[i] = v; sm[i] = name === 'alloc' ? M.sites[6 * k + 1] : 0; tot += v; i++;
      }
      out.threads[name] = { index: 0, tid: 0, pthread: 0, interp: 0, name: 'memory', ns: 0, samples: 0,
        leaves: { stack: st, w: w, s: sm, n: m }, pyNs: tot };
      out.totals[name] = tot + none;
      out.noFrame[name] = none;
    });
    var np = (M.points.length / 3) | 0;
    out.t = new Float64Array(np); out.heap = new Float64Array(np); out.rss = new Float64Array(np);
    for (k = 0; k < np; k++) { out.t[k] = M.points[3 * k]; out.heap[k] = M.points[3 * k + 1]; out.rss[k] = M.points[3 * k + 2]; }
    return out;
  }
  var runs = D.runs.map(decodeRun);
  var NS = runs.length;    // sides: 1, or 2 for a diff
  var severalInterps = runs.some(function (r) { return r.threads.some(function (t) { return t.interp !== 0; }); });

  function threadLabel(t) {
    var s = 'thread ' + t.tid;
    if (t.name !== null && t.name !== undefined && t.name !== '') s += ' ' + t.name;
    if (severalInterps) s += ' (interp ' + t.interp + ')';
    return s;
  }

  // ---------------------------------------------------------------- state
  var state = {
    measure: 'time',       // 'time', or a memory measure (MEASURES)
    sel: 'all',            // 'all' (merged), 'each' (one root per thread) or 't<index>'
    gran: 'fn',            // 'fn' or 'line'
    orient: 'flame',       // 'flame' (root at the bottom) or 'icicle'
    norm: true,            // diff: widths and changes as shares of each run
    zoom: 0,               // node of the current tree at full width
    search: '', regex: false, pickFn: -1,
    sortCol: DIFF ? 'dself' : 'self', sortAsc: false
  };
  var tree = null;         // current tree
  var treeCache = new Map();

  // keys: a function (gran 'fn') or a (function, line) frame (gran 'line')
  function nKeys(gran) { return gran === 'fn' ? nFn : nFrame; }
  function keyFn(k) { return state.gran === 'fn' ? k : frFn[k]; }
  function keyLine(k) { return state.gran === 'fn' ? fnLine[k] : frLine[k]; }

  // ---------------------------------------------------------------- trees
  /*
   * A structure is the shape of a tree: node 0 is the root, a parent always
   * has a smaller index than its children, each node has a key. Its parts
   * say at which node each stack of a run ends (nodeOf). In a 'merged'
   * structure every stack of every run hangs from the root (stacks of two
   * runs meet where their keys match from the root down); in an 'each' one,
   * the root has a node per thread and each thread's stacks hang from it.
   *
   * A tree is a structure weighted by a selection's leaves. All selections
   * of one granularity share the merged structure: a thread's tree is the
   * same shape with other weights (nodes it never reached weigh 0 and are
   * neither drawn nor listed), so switching threads costs one pass over the
   * leaves, not a rebuild.
   */
  function nextPow2(n) { var p = 16; while (p < n) p *= 2; return p; }

  function buildStructure(gran, mode) {
    var parts = [], labels = [], cap = 1, i, t;
    if (mode === 'merged') {
      for (i = 0; i < NS; i++) { parts.push({ side: i, thread: -1, group: 0 }); cap += runs[i].nStacks; }
    } else {
      // one part per thread with samples; count the stacks it reaches
      var r0 = runs[0], mark = new Int32Array(r0.nStacks);
      r0.threads.forEach(function (th) {
        if (!th.leaves.n) return;
        var stamp = th.index + 1, L = th.leaves, reach = 0;
        for (var j = 0; j < L.n; j++) {
          for (var s = L.stack[j]; s >= 0 && mark[s] !== stamp; s = r0.parent[s]) { mark[s] = stamp; reach++; }
        }
        parts.push({ side: 0, thread: th.index, group: -1 });
        labels.push(threadLabel(th));
        cap += 1 + reach;
      });
    }
    var K = gran === 'fn' ? frFn : null;
    var parent = new Int32Array(cap), key = new Int32Array(cap), depth = new Int32Array(cap), N = 1;
    var hsize = nextPow2(cap * 2), hmask = hsize - 1, hN = new Int32Array(hsize).fill(-1), hK = new Int32Array(hsize), hV = new Int32Array(hsize);
    parent[0] = -1; key[0] = -1;
    var child = function (n, k) {
      var h = Math.imul(n, -1640531535) ^ Math.imul(k + 1, -2048144777);
      h = (h ^ (h >>> 15)) & hmask;
      while (hN[h] !== -1) {
        if (hN[h] === n && hK[h] === k) return hV[h];
        h = (h + 1) & hmask;
      }
      var c = N++;
      parent[c] = n; key[c] = k; depth[c] = depth[n] + 1;
      hN[h] = n; hK[h] = k; hV[h] = c;
      return c;
    };
    var path = [];
    for (i = 0; i < parts.length; i++) {
      var part = parts[i], run = runs[part.side], sp = run.parent, sf = run.frame, ns = run.nStacks;
      var nodeOf = part.nodeOf = new Int32Array(ns).fill(-1);
      if (mode === 'merged') {
        for (var s2 = 0; s2 < ns; s2++) {
          var pn = sp[s2] < 0 ? 0 : nodeOf[sp[s2]];
          nodeOf[s2] = child(pn, K ? K[sf[s2]] : sf[s2]);
        }
      } else {
        var g = part.group = N++;
        parent[g] = 0; key[g] = -2 - i; depth[g] = 1;
        var L2 = run.threads[part.thread].leaves;
        for (var j2 = 0; j2 < L2.n; j2++) {
          var s3 = L2.stack[j2], top = 0;
          while (s3 >= 0 && nodeOf[s3] < 0) { path[top++] = s3; s3 = sp[s3]; }
          var n3 = s3 < 0 ? g : nodeOf[s3];
          while (top > 0) { s3 = path[--top]; n3 = nodeOf[s3] = child(n3, K ? K[sf[s3]] : sf[s3]); }
        }
      }
    }
    // children, as ranges of one array
    var cs = new Int32Array(N + 1), cl = new Int32Array(N), fill = new Int32Array(N);
    for (i = 1; i < N; i++) cs[parent[i] + 1]++;
    for (i = 0; i < N; i++) cs[i + 1] += cs[i];
    for (i = 1; i < N; i++) { t = parent[i]; cl[cs[t] + fill[t]++] = i; }
    // first[n]: no ancestor of n has its key, so n's total counts in its
    // key's total (a recursive call's time is counted once)
    var first = new Uint8Array(N), onPath = new Int32Array(nKeys(gran) + 1), st = new Int32Array(2 * N + 1), sp = 0;
    st[sp++] = 0;
    while (sp > 0) {
      var e = st[--sp];
      if (e < 0) { onPath[key[~e]]--; continue; }
      if (key[e] >= 0) {
        if (onPath[key[e]]++ === 0) first[e] = 1;
        st[sp++] = ~e;
      }
      for (var c = cs[e], ce = cs[e + 1]; c < ce; c++) st[sp++] = cl[c];
    }
    return { N: N, gran: gran, mode: mode, parent: parent.subarray(0, N), key: key.subarray(0, N),
      depth: depth.subarray(0, N), cs: cs, cl: cl, parts: parts, groupLabels: labels, first: first };
  }

  // The structure weighted by the leaves of the selected threads (or all).
  function weigh(st, thread, rootLabel) {
    var N = st.N, parent = st.parent, self = [], samp = [], total = [], tsamp = [], i, m;
    for (i = 0; i < NS; i++) { self.push(new Float64Array(N)); samp.push(new Float64Array(N)); }
    st.parts.forEach(function (part) {
      var run = runs[part.side], nodeOf = part.nodeOf, sw = self[part.side], ss = samp[part.side];
      run.threads.forEach(function (th) {
        if (part.thread >= 0 ? th.index !== part.thread : thread >= 0 && th.index !== thread) return;
        var L = th.leaves;
        for (var j = 0; j < L.n; j++) { var n = nodeOf[L.stack[j]]; sw[n] += L.w[j]; ss[n] += L.s[j]; }
      });
    });
    for (i = 0; i < NS; i++) {
      var t = self[i].slice(), ts = samp[i].slice();
      for (m = N - 1; m > 0; m--) { t[parent[m]] += t[m]; ts[parent[m]] += ts[m]; }
      total.push(t); tsamp.push(ts);
    }
    var T = { N: N, gran: st.gran, parent: parent, key: st.key, depth: st.depth, cs: st.cs, cl: st.cl.slice(), first: st.first,
      groupLabels: st.groupLabels, self: self, samp: samp, total: total, tsamp: tsamp,
      sorted: new Uint8Array(N), rootLabel: rootLabel, width: null, widthNorm: null };
    setWidths(T);
    return T;
  }

  // Width of a node: its time; in a diff, its time in both runs together
  // (absolute: before + after; normalised: before/total_before +
  // after/total_after), so what vanished or appeared keeps its width.
  function setWidths(T) {
    var w;
    if (!DIFF) { w = T.total[0]; }
    else {
      var b = T.total[0], a = T.total[1], fb = 1, fa = 1, i;
      if (state.norm) { fb = b[0] > 0 ? 1 / b[0] : 0; fa = a[0] > 0 ? 1 / a[0] : 0; }
      w = new Float64Array(T.N);
      for (i = 0; i < T.N; i++) w[i] = b[i] * fb + a[i] * fa;
    }
    if (T.width !== w) { T.width = w; T.sorted.fill(0); T.widthNorm = state.norm; }
  }

  function sortChildren(T, n) {
    if (T.sorted[n]) return;
    T.sorted[n] = 1;
    var a = T.cs[n], b = T.cs[n + 1];
    if (b - a < 2) return;
    var w = T.width, arr = Array.prototype.slice.call(T.cl.subarray(a, b));
    arr.sort(function (x, y) { return w[y] - w[x] || x - y; });
    T.cl.set(arr, a);
  }

  var structCache = new Map();
  function getStructure(gran, mode) {
    var k = gran + '|' + mode + (mode === 'each' ? '|' + state.measure : ''), st = structCache.get(k);
    if (!st) { st = buildStructure(gran, mode); structCache.set(k, st); }
    return st;
  }

  function getTree() {
    var ck = state.measure + '|' + state.sel + '|' + state.gran;
    var T = treeCache.get(ck);
    if (!T) {
      if (DIFF || state.sel === 'all') T = weigh(getStructure(state.gran, 'merged'), -1, 'all threads');
      else if (state.sel === 'each') T = weigh(getStructure(state.gran, 'each'), -1, 'all threads');
      else {
        var th = runs[0].threads[+state.sel.slice(1)];
        T = weigh(getStructure(state.gran, 'merged'), th.index, threadLabel(th));
      }
      treeCache.set(ck, T);
    }
    if (DIFF && T.widthNorm !== state.norm) { T.width = null; setWidths(T); }
    return T;
  }

  // ---------------------------------------------------------------- node text
  function nodeName(T, n) {
    var k = T.key[n];
    if (k === -1) return T.rootLabel;
    if (k < -1) return T.groupLabels[-2 - k];
    return S[fnName[T.gran === 'fn' ? k : frFn[k]]];
  }
  function nodeLabel(T, n) {
    var k = T.key[n];
    if (k >= 0 && T.gran === 'line') return S[fnName[frFn[k]]] + ':' + frLine[k];
    return nodeName(T, n);
  }
  function nodeFile(T, n) {
    var k = T.key[n];
    return k < 0 ? '' : S[fnFile[T.gran === 'fn' ? k : frFn[k]]];
  }
  function nodeLine(T, n) {
    var k = T.key[n];
    return k < 0 ? 0 : T.gran === 'fn' ? fnLine[k] : frLine[k];
  }
  function nodeFn(T, n) {
    var k = T.key[n];
    return k < 0 ? -1 : T.gran === 'fn' ? k : frFn[k];
  }

  // ---------------------------------------------------------------- formatting
  function fmtNs(ns) {
    var a = Math.abs(ns);
    if (a >= 1e9) return (ns / 1e9).toFixed(a >= 1e11 ? 0 : a >= 1e10 ? 1 : 2) + ' s';
    if (a >= 1e6) return (ns / 1e6).toFixed(a >= 1e8 ? 0 : a >= 1e7 ? 1 : 2) + ' ms';
    if (a >= 1e3) return (ns / 1e3).toFixed(a >= 1e5 ? 0 : a >= 1e4 ? 1 : 2) + ' \u00b5s';
    return Math.round(ns) + ' ns';
  }
  function fmtBytes(b) {
    var a = Math.abs(b);
    if (a >= 1073741824) return (b / 1073741824).toFixed(2) + ' GiB';
    if (a >= 1048576) return (b / 1048576).toFixed(1) + ' MiB';
    if (a >= 1024) return (b / 1024).toFixed(1) + ' KiB';
    return Math.round(b) + ' B';
  }
  // A weight of the current measure: time, or bytes.
  function fmtW(v) { return state.measure === 'time' ? fmtNs(v) : fmtBytes(v); }
  // What the second number of a weight counts, if anything.
  function countWord() { return state.measure === 'time' ? ' samples' : state.measure === 'alloc' ? ' allocations' : null; }
  function fmtPct(f) {
    if (!isFinite(f)) return '\u2013';
    var p = f * 100, a = Math.abs(p);
    return (a >= 10 || a === 0 ? p.toFixed(1) : a >= 0.1 ? p.toFixed(2) : p.toFixed(3)) + '%';
  }
  // The requested rate; record -r max asks for none (0), so say so with the rate achieved.
  function fmtRate(m) {
    if (m.rate_hz) return fmtInt(m.rate_hz) + ' Hz';
    var achieved = m.end && m.duration_ns > 0 ? Math.round(m.samples / (m.duration_ns / 1e9)) : 0;
    return achieved ? 'max (' + fmtInt(achieved) + ' Hz achieved)' : 'max';
  }

  function fmtInt(n) {
    // toLocaleString is slow enough to matter for hundreds of cells
    var s = String(Math.round(n)), neg = s.charAt(0) === '-', out = '';
    if (neg) s = s.slice(1);
    while (s.length > 3) { out = ',' + s.slice(-3) + out; s = s.slice(0, -3); }
    return (neg ? '-' : '') + s + out;
  }
  function signed(s, v) { return (v > 0 ? '+' : v < 0 ? '\u2212' : '\u00b1') + s.replace(/^-/, ''); }
  // In a diff: a value in ns (absolute) or a share (normalised).
  function fmtVal(v) { return state.norm ? fmtPct(v) : fmtNs(v); }
  function fmtDelta(v) { return signed(fmtVal(v), v); }

  // ---------------------------------------------------------------- colours
  function hash(s) {
    var h = 2166136261, i;
    for (i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
    return h >>> 0;
  }
  var fnColour = [];
  // Pastel, one hue per file so a module's frames look alike; lightness
  // varies by function so neighbours stay apart.
  function colourOf(fn) {
    var c = fnColour[fn];
    if (!c) {
      var hf = hash(S[fnFile[fn]]), hn = hash(S[fnName[fn]]);
      c = fnColour[fn] = 'hsl(' + (hf % 360) + ',' + (55 + hf % 20) + '%,' + (72 + hn % 12) + '%)';
    }
    return c;
  }
  var NEUTRAL = [226, 226, 226], RED = [222, 45, 38], BLUE = [33, 102, 200];
  function diffColour(d, scale) {
    if (d === 0 || !(scale > 0)) return 'rgb(' + NEUTRAL.join(',') + ')';
    var t = 0.2 + 0.8 * Math.min(1, Math.abs(d) / scale), to = d > 0 ? RED : BLUE;
    return 'rgb(' + [0, 1, 2].map(function (i) { return Math.round(NEUTRAL[i] + (to[i] - NEUTRAL[i]) * t); }).join(',') + ')';
  }
  function nodeDelta(T, n) {
    if (!DIFF) return 0;
    var b = T.total[0], a = T.total[1];
    if (!state.norm) return a[n] - b[n];
    var fb = b[0] > 0 ? 1 / b[0] : 0, fa = a[0] > 0 ? 1 / a[0] : 0;
    return a[n] * fa - b[n] * fb;
  }
  function sideVal(T, arr, side, n) {
    // a node's value in one run: ns, or the share of that run's total
    if (!state.norm || !DIFF) return arr[n];
    var tot = T.total[side][0];
    return tot > 0 ? arr[n] / tot : 0;
  }

  // ---------------------------------------------------------------- search
  var matchKey = null;     // Uint8Array over keys, or null when no search
  var searchError = '';
  var lowerCache = new Map();
  function lower(id) {
    var v = lowerCache.get(id);
    if (v === undefined) { v = S[id].toLowerCase(); lowerCache.set(id, v); }
    return v;
  }
  function computeMatches() {
    matchKey = null; searchError = '';
    var nk = nKeys(state.gran), m, k, fn;
    if (state.pickFn >= 0) {
      m = new Uint8Array(nk);
      for (k = 0; k < nk; k++) if (keyFn(k) === state.pickFn) m[k] = 1;
      matchKey = m; return;
    }
    if (!state.search) return;
    var test;
    if (state.regex) {
      var re;
      try { re = new RegExp(state.search, 'i'); } catch (e) { searchError = String(e.message || e); return; }
      test = function (id) { re.lastIndex = 0; return re.test(S[id]); };
    } else {
      var q = state.search.toLowerCase();
      test = function (id) { return lower(id).indexOf(q) >= 0; };
    }
    var fnHit = new Int8Array(nFn).fill(-1);
    m = new Uint8Array(nk);
    for (k = 0; k < nk; k++) {
      fn = keyFn(k);
      if (fnHit[fn] < 0) fnHit[fn] = test(fnName[fn]) || test(fnFile[fn]) ? 1 : 0;
      m[k] = fnHit[fn];
    }
    matchKey = m;
  }
  function isMatch(T, n) {
    var k = T.key[n];
    return matchKey !== null && k >= 0 && matchKey[k] === 1;
  }
  // Time under the zoomed node spent with a matching frame on the stack,
  // each sample counted once however many matching frames it has.
  var matched = { share: 0, width: 0, sides: [0, 0] };
  function computeMatched() {
    var T = tree, Z = state.zoom, i, w = T.width;
    matched = { share: 0, width: 0, sides: [0, 0] };
    if (matchKey === null) return;
    var anc = Z, inside = false;
    while (anc >= 0) { if (isMatch(T, anc)) { inside = true; break; } anc = T.parent[anc]; }
    var add = function (n) {
      matched.width += w[n];
      for (i = 0; i < NS; i++) matched.sides[i] += T.total[i][n];
    };
    if (inside) add(Z);
    else {
      var st = new Int32Array(T.N), sp = 0, cs = T.cs, cl = T.cl, key = T.key, mk = matchKey;
      st[sp++] = Z;
      while (sp > 0) {
        var n = st[--sp];
        if (n !== Z && key[n] >= 0 && mk[key[n]] === 1) { add(n); continue; }
        for (var c = cs[n], e = cs[n + 1]; c < e; c++) if (w[cl[c]] > 0) st[sp++] = cl[c];
      }
    }
    matched.share = w[Z] > 0 ? matched.width / w[Z] : 0;
  }

  // ---------------------------------------------------------------- layout and drawing
  var canvas = $('canvas'), graph = $('graph'), spacer = $('spacer'), ctx = canvas.getContext('2d');
  var L = { n: [], x: [], w: [], rows: [], maxRow: 0, W: 0, H: 0, contentH: 0, scale: 0, dscale: 0 };
  var charW = 7.2;

  function layout() {
    var T = tree, Z = state.zoom, W = Math.max(1, graph.clientWidth), i;
    var ln = [], lx = [], lw = [], rows = [], maxRow = 0, dmax = 0;
    var put = function (n, x, w) {
      var d = T.depth[n], idx = ln.length;
      ln.push(n); lx.push(x); lw.push(w);
      (rows[d] || (rows[d] = [])).push(idx);
      if (d > maxRow) maxRow = d;
    };
    var chain = [];
    for (i = T.parent[Z]; i >= 0; i = T.parent[i]) chain.push(i);
    for (i = chain.length - 1; i >= 0; i--) put(chain[i], 0, W);
    var wz = T.width[Z];
    if (wz > 0) {
      var scale = W / wz, stN = [Z], stX = [0];
      while (stN.length) {
        var n = stN.pop(), x = stX.pop(), w = T.width[n] * scale;
        put(n, x, w);
        if (DIFF && n !== Z) { var dd = Math.abs(nodeDelta(T, n)); if (dd > dmax) dmax = dd; }
        sortChildren(T, n);
        var a = T.cs[n], b = T.cs[n + 1], kids = 0, cx = x;
        for (var c = a; c < b; c++) {
          var cw = T.width[T.cl[c]] * scale;
          if (cw < MIN_W) break;
          kids++;
        }
        // push right to left so that rows fill left to right
        var xs = new Array(kids);
        for (c = 0; c < kids; c++) { xs[c] = cx; cx += T.width[T.cl[a + c]] * scale; }
        for (c = kids - 1; c >= 0; c--) { stN.push(T.cl[a + c]); stX.push(xs[c]); }
      }
    } else {
      put(Z, 0, W);
    }
    L = { n: ln, x: lx, w: lw, rows: rows, maxRow: maxRow, W: W, H: 0, contentH: (maxRow + 1) * ROW, dscale: dmax };
    sizeCanvas();
  }

  function sizeCanvas() {
    var W = L.W, H = Math.max(ROW, graph.clientHeight), dpr = window.devicePixelRatio || 1;
    L.H = H;
    L.virtH = state.orient === 'flame' ? Math.max(L.contentH, H) : L.contentH;
    if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
      canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
    }
    canvas.style.width = W + 'px'; canvas.style.height = H + 'px';
    spacer.style.height = Math.max(0, L.virtH - H) + 'px';
  }

  function rowY(d) { return state.orient === 'flame' ? L.virtH - (d + 1) * ROW : d * ROW; }

  function draw() {
    var T = tree, dpr = window.devicePixelRatio || 1, top = graph.scrollTop, H = L.H, W = L.W;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.font = FONT; ctx.textBaseline = 'middle';
    charW = ctx.measureText('MMMMMMMMMM').width / 10 || 7.2;
    var zd = T.depth[state.zoom], searching = matchKey !== null;
    for (var d = 0; d <= L.maxRow; d++) {
      var row = L.rows[d];
      if (!row) continue;
      var y = rowY(d) - top;
      if (y + ROW < 0 || y > H) continue;
      for (var r = 0; r < row.length; r++) {
        var i = row[r], n = L.n[i], x = L.x[i], w = L.w[i], fill, text = '#1b1b1b', alpha = 1;
        var m = isMatch(T, n);
        if (DIFF) fill = T.key[n] < 0 ? '#d4d4d4' : diffColour(nodeDelta(T, n), L.dscale);
        else fill = T.key[n] < 0 ? '#d9d2c8' : colourOf(nodeFn(T, n));
        if (searching) {
          if (m && !DIFF) { fill = '#c03ad0'; text = '#fff'; }
          else if (!m) alpha = 0.35;
        }
        if (d < zd) alpha = Math.min(alpha, 0.55);
        ctx.globalAlpha = alpha;
        ctx.fillStyle = fill;
        ctx.fillRect(x, y, w > 1.5 ? w - 1 : w, ROW - 1);
        if (searching && m && DIFF) {
          ctx.strokeStyle = '#c03ad0'; ctx.lineWidth = 2;
          ctx.strokeRect(x + 1, y + 1, Math.max(0, w - 3), ROW - 3);
        }
        var maxChars = Math.floor((w - 6) / charW);
        if (maxChars >= 3) {
          var label = nodeLabel(T, n).replace(/[\u0000-\u001f\u2028\u2029]/g, ' ');
          if (label.length > maxChars) label = label.slice(0, maxChars - 1) + '\u2026';
          ctx.fillStyle = text;
          ctx.fillText(label, x + 3, y + ROW / 2);
        }
      }
    }
    ctx.globalAlpha = 1;
    if (T.width[state.zoom] <= 0) {
      ctx.fillStyle = '#666';
      ctx.fillText(state.measure === 'time' ? 'No Python samples in this selection.' : 'No memory recorded for this measure.',
        12, state.orient === 'flame' ? H - ROW * 2 : ROW * 2);
    }
  }

  function hit(clientX, clientY) {
    var r = canvas.getBoundingClientRect(), x = clientX - r.left, y = clientY - r.top + graph.scrollTop;
    var d = state.orient === 'flame' ? Math.floor((L.virtH - y) / ROW) : Math.floor(y / ROW);
    var row = L.rows[d];
    if (!row || d < 0) return -1;
    var lo = 0, hi = row.length - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1, i = row[mid];
      if (x < L.x[i]) hi = mid - 1;
      else if (x >= L.x[i] + L.w[i]) lo = mid + 1;
      else return i;
    }
    return -1;
  }

  // ---------------------------------------------------------------- tooltip
  var tip = $('tip');
  function tipRow(tb, name, value, cls) {
    var tr = el('tr');
    tr.appendChild(el('td', null, name));
    tr.appendChild(el('td', cls || null, value));
    tb.appendChild(tr);
  }
  function showTip(i, ev) {
    var T = tree, n = L.n[i];
    tip.textContent = '';
    tip.appendChild(el('div', 'n', nodeName(T, n)));
    var file = nodeFile(T, n);
    if (file) tip.appendChild(el('div', 'f', file + ':' + nodeLine(T, n) + (T.gran === 'fn' ? ' (def)' : '')));
    var tb = el('tbody'), tbl = el('table');
    var vz = T.width[state.zoom];
    if (!DIFF) {
      var t = T.total[0][n], s = T.self[0][n], root = T.total[0][0];
      var cw = countWord();
      tipRow(tb, 'total', fmtW(t) + '  ' + (cw ? fmtInt(T.tsamp[0][n]) + cw + '  ' : '') + fmtPct(vz > 0 ? t / vz : 0) + ' of view' +
        (state.zoom !== 0 ? ', ' + fmtPct(root > 0 ? t / root : 0) + ' of all' : ''));
      tipRow(tb, 'self', fmtW(s) + '  ' + (cw ? fmtInt(T.samp[0][n]) + cw + '  ' : '') + fmtPct(vz > 0 ? s / vz : 0) + ' of view');
    } else {
      var b = T.total[0][n], a = T.total[1][n];
      tipRow(tb, D.labels[0] ? 'before' : 'before', fmtNs(b) + '  ' + fmtPct(T.total[0][0] > 0 ? b / T.total[0][0] : 0) + ' of run  ' + fmtInt(T.tsamp[0][n]) + ' samples');
      tipRow(tb, 'after', fmtNs(a) + '  ' + fmtPct(T.total[1][0] > 0 ? a / T.total[1][0] : 0) + ' of run  ' + fmtInt(T.tsamp[1][n]) + ' samples');
      var dv = nodeDelta(T, n), rel = state.norm ? sideVal(T, T.total[0], 0, n) : b;
      tipRow(tb, 'change', fmtDelta(dv) + (state.norm ? ' (share)' : '') + (rel > 0 ? '  ' + signed(fmtPct(dv / rel), dv) + ' relative' : a > 0 ? '  new' : ''),
        dv > 0 ? 'up' : dv < 0 ? 'down' : '');
      tipRow(tb, 'self', fmtNs(T.self[0][n]) + ' \u2192 ' + fmtNs(T.self[1][n]));
    }
    tbl.appendChild(tb);
    tip.appendChild(tbl);
    tip.hidden = false;
    var pw = tip.offsetWidth, ph = tip.offsetHeight, x = ev.clientX + 14, y = ev.clientY + 14;
    if (x + pw > window.innerWidth - 4) x = Math.max(4, ev.clientX - pw - 14);
    if (y + ph > window.innerHeight - 4) y = Math.max(4, ev.clientY - ph - 14);
    tip.style.left = x + 'px'; tip.style.top = y + 'px';
  }

  // ---------------------------------------------------------------- breadcrumb
  function renderCrumbs() {
    var T = tree, box = $('crumbs'), chain = [], i;
    for (i = state.zoom; i >= 0; i = T.parent[i]) chain.push(i);
    box.textContent = '';
    for (i = chain.length - 1; i >= 0; i--) {
      var b = el('button', null, nodeLabel(T, chain[i]));
      b.type = 'button';
      b.title = nodeName(T, chain[i]) + (nodeFile(T, chain[i]) ? '  ' + nodeFile(T, chain[i]) + ':' + nodeLine(T, chain[i]) : '');
      b.dataset.node = String(chain[i]);
      box.appendChild(b);
      if (i > 0) box.appendChild(el('span', 'sep', '\u203a'));
    }
  }
  $('crumbs').addEventListener('click', function (ev) {
    var b = ev.target.closest('button');
    if (b) zoomTo(+b.dataset.node);
  });

  // ---------------------------------------------------------------- table
  var tableRows = [];      // all rows of the current table (sorted)
  var COLS = DIFF ? [
    { id: 'share', title: 'Share', tip: 'Share of the change: \u0394 self over the net change (absolute, when at least 1% of the longer run), else over the sum of every function\u2019s |\u0394 self|', abs: true, w: 62 },
    { id: 'dself', title: '\u0394 self', abs: true, w: 70 },
    { id: 'sa', title: 'Self', tip: 'Self time, before \u2192 after (sorts by after)', from: 'sb', w: 124 },
    { id: 'dtotal', title: '\u0394 total', abs: true, w: 70 },
    { id: 'ta', title: 'Total', tip: 'Total time, before \u2192 after (sorts by after)', from: 'tb', w: 124 },
    { id: 'name', title: 'Function', cls: 'text' },
    { id: 'file', title: 'File:line', cls: 'text' }
  ] : [
    { id: 'self', title: 'Self', w: 138 },
    { id: 'total', title: 'Total', w: 112 },
    { id: 'samples', title: 'Samples', w: 70 },
    { id: 'name', title: 'Function', cls: 'text' },
    { id: 'file', title: 'File:line', cls: 'text' }
  ];

  // Self and total per key under the zoomed node; a key's total counts a
  // sample once however many times the key is on its stack (recursion).
  function computeTable() {
    var T = tree, nk = nKeys(T.gran), Z = state.zoom, i;
    var selfK = [], totK = [], sampK = [], tsampK = [];
    for (i = 0; i < NS; i++) { selfK.push(new Float64Array(nk)); totK.push(new Float64Array(nk)); sampK.push(new Float64Array(nk)); tsampK.push(new Float64Array(nk)); }
    // depth-first, with ~n pushed to leave n; zero-weight subtrees skipped
    var onPath = new Int32Array(nk), seen = new Uint8Array(nk), st = new Int32Array(Z === 0 ? 1 : 2 * T.N + 1), sp = 0;
    var key = T.key, cs = T.cs, cl = T.cl, w = T.width;
    var s0 = T.self[0], m0 = T.samp[0], t0 = T.total[0], u0 = T.tsamp[0];
    var S0 = selfK[0], M0 = sampK[0], T0 = totK[0], U0 = tsampK[0];
    if (Z === 0) {
      // the whole tree: one pass in index order, no walk needed
      var fst = T.first;
      for (var n = 1; n < T.N; n++) {
        var kk = key[n];
        if (kk < 0 || !(w[n] > 0)) continue;
        seen[kk] = 1;
        S0[kk] += s0[n]; M0[kk] += m0[n];
        if (fst[n]) { T0[kk] += t0[n]; U0[kk] += u0[n]; }
        if (NS > 1) {
          selfK[1][kk] += T.self[1][n]; sampK[1][kk] += T.samp[1][n];
          if (fst[n]) { totK[1][kk] += T.total[1][n]; tsampK[1][kk] += T.tsamp[1][n]; }
        }
      }
    } else st[sp++] = Z;
    while (sp > 0) {
      var e = st[--sp];
      if (e < 0) { onPath[key[~e]]--; continue; }
      var k = key[e];
      if (k >= 0) {
        seen[k] = 1;
        S0[k] += s0[e]; M0[k] += m0[e];
        if (onPath[k] === 0) { T0[k] += t0[e]; U0[k] += u0[e]; }
        if (NS > 1) {
          selfK[1][k] += T.self[1][e]; sampK[1][k] += T.samp[1][e];
          if (onPath[k] === 0) { totK[1][k] += T.total[1][e]; tsampK[1][k] += T.tsamp[1][e]; }
        }
        onPath[k]++;
        st[sp++] = ~e;
      }
      for (var c = cs[e], ce = cs[e + 1]; c < ce; c++) if (w[cl[c]] > 0) st[sp++] = cl[c];
    }
    var rows = [], vz = T.total[0][Z];
    // Share of the change, as `pyrometer diff` text and json give it: of the net change
    // when it is at least 1% of the longer run, else of the sum of every |change|.
    // Normalised, the net change of shares is zero by construction: always the sum.
    var sumAbs = 0, net = 0, basis = 0;
    if (DIFF) {
      for (k = 0; k < nk; k++) {
        if (!seen[k]) continue;
        var dk = sv(selfK[1][k], 1) - sv(selfK[0][k], 0);
        sumAbs += Math.abs(dk);
        net += dk;
      }
      var longer = Math.max(T.total[0][0], T.total[1][0]);
      basis = !state.norm && net !== 0 && Math.abs(net) >= 0.01 * longer ? net : sumAbs;
    }
    function sv(v, side) {
      if (!state.norm) return v;
      var tot = T.total[side][0];
      return tot > 0 ? v / tot : 0;
    }
    for (k = 0; k < nk; k++) {
      if (!seen[k]) continue;
      var fn = T.gran === 'fn' ? k : frFn[k];
      var r = { key: k, fn: fn, name: S[fnName[fn]], file: S[fnFile[fn]], line: T.gran === 'fn' ? fnLine[k] : frLine[k] };
      if (!DIFF) {
        r.self = selfK[0][k]; r.total = totK[0][k]; r.samples = tsampK[0][k]; r.selfSamples = sampK[0][k];
        r.selfp = vz > 0 ? r.self / vz : 0; r.totalp = vz > 0 ? r.total / vz : 0;
      } else {
        r.sb = sv(selfK[0][k], 0); r.sa = sv(selfK[1][k], 1); r.dself = r.sa - r.sb;
        r.tb = sv(totK[0][k], 0); r.ta = sv(totK[1][k], 1); r.dtotal = r.ta - r.tb;
        r.share = basis !== 0 ? r.dself / basis : 0;
      }
      rows.push(r);
    }
    tableRows = rows;
    sortTable();
  }

  function sortTable() {
    var col = COLS.filter(function (c) { return c.id === state.sortCol; })[0] || COLS[0], id = col.id, dir = state.sortAsc ? 1 : -1;
    var val = function (r) { var v = r[id]; return col.abs ? Math.abs(v) : v; };
    tableRows.sort(function (a, b) {
      var x, y;
      if (id === 'name' || id === 'file') {
        x = id === 'name' ? a.name : a.file + ':' + a.line; y = id === 'name' ? b.name : b.file + ':' + b.line;
        return (x < y ? -1 : x > y ? 1 : 0) * dir || a.key - b.key;
      }
      x = val(a); y = val(b);
      return (x - y) * dir || a.key - b.key;
    });
  }

  function colTitle(c) {
    if (c.id !== 'samples' || state.measure === 'time') return c.title;
    return 'Allocations';
  }
  function renderTable() {
    var T = tree, head = $('thead'), body = $('tbody');
    head.textContent = '';
    COLS.forEach(function (c) {
      var th = el('th', (c.cls || '') + (state.sortCol === c.id ? ' sorted' + (state.sortAsc ? ' asc' : '') : ''), colTitle(c));
      th.dataset.col = c.id;
      th.title = (c.tip || colTitle(c)) + ' (click to sort)';
      if (c.w) th.style.width = c.w + 'px';
      head.appendChild(th);
    });
    body.textContent = '';
    tableShown = 0;
    tableMaxSelf = 0;
    if (!DIFF) tableRows.forEach(function (r) { if (r.selfp > tableMaxSelf) tableMaxSelf = r.selfp; });
    appendRows(TABLE_FIRST);
    $('table-wrap').scrollTop = 0;
    renderCaption();
  }
  var tableShown = 0, tableMaxSelf = 0;
  function appendRows(count) {
    var body = $('tbody'), frag = document.createDocumentFragment();
    var n = Math.min(tableRows.length, TABLE_MAX, tableShown + count);
    for (var i = tableShown; i < n; i++) {
      var r = tableRows[i], tr = el('tr');
      tr.dataset.row = String(i);
      if (state.pickFn === r.fn) tr.className = 'selected';
      COLS.forEach(function (c) {
        var td, v = r[c.id];
        if (c.id === 'name') { td = el('td', 'text name', r.name); td.title = r.name; }
        else if (c.id === 'file') {
          td = el('td', 'text file'); var bdi = el('bdi', null, r.file + ':' + r.line); td.appendChild(bdi); td.title = r.file + ':' + r.line;
        } else if (DIFF) {
          if (c.from) td = el('td', null, fmtVal(r[c.from]) + ' \u2192 ' + fmtVal(v));
          else td = el('td', v > 0 ? 'up' : v < 0 ? 'down' : '', c.id === 'share' ? signed(fmtPct(v), v) : fmtDelta(v));
        } else if (c.id === 'self' || c.id === 'total') {
          td = el('td');
          if (c.id === 'self') {
            var bar = el('span', 'bar'); bar.style.width = Math.round(32 * (tableMaxSelf > 0 ? r.selfp / tableMaxSelf : 0)) + 'px';
            td.appendChild(bar);
          }
          td.appendChild(document.createTextNode(fmtW(v) + ' '));
          td.appendChild(el('span', 'pct', fmtPct(c.id === 'self' ? r.selfp : r.totalp)));
        } else if (c.id === 'samples') td = el('td', null, countWord() ? fmtInt(v) : '\u2013');
        else td = el('td', null, fmtNs(v));
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    }
    tableShown = n;
    body.appendChild(frag);
  }
  function renderCaption() {
    var T = tree, n = Math.min(tableRows.length, TABLE_MAX);
    var what = T.gran === 'fn' ? (tableRows.length === 1 ? 'function' : 'functions') : (tableRows.length === 1 ? 'line' : 'lines');
    var cap = (tableRows.length > n ? 'Top ' + fmtInt(n) + ' of ' + fmtInt(tableRows.length) + ' ' : fmtInt(tableRows.length) + ' ') + what +
      (state.zoom !== 0 ? ' under ' + nodeLabel(T, state.zoom) : '') + (DIFF ? ', by impact' : '') + '. Click a row to highlight it.';
    $('table-caption').textContent = cap;
  }
  $('table-wrap').addEventListener('scroll', function () {
    var w = $('table-wrap');
    if (tableShown < Math.min(tableRows.length, TABLE_MAX) && w.scrollTop + w.clientHeight > w.scrollHeight - 400) appendRows(200);
  });
  function markTableRows() {
    var rows = $('tbody').rows;
    for (var i = 0; i < rows.length; i++) {
      var on = !!tableRows[i] && state.pickFn === tableRows[i].fn;
      if ((rows[i].className === 'selected') !== on) rows[i].className = on ? 'selected' : '';
    }
  }
  $('thead').addEventListener('click', function (ev) {
    var th = ev.target.closest('th');
    if (!th) return;
    if (state.sortCol === th.dataset.col) state.sortAsc = !state.sortAsc;
    else { state.sortCol = th.dataset.col; state.sortAsc = th.dataset.col === 'name' || th.dataset.col === 'file'; }
    sortTable(); renderTable();
  });
  $('tbody').addEventListener('click', function (ev) {
    var tr = ev.target.closest('tr');
    if (tr) pickRow(+tr.dataset.row);
  });
  function pickRow(i) {
    var r = tableRows[i];
    if (!r) return;
    if (state.pickFn === r.fn) { setSearch('', false); return; }
    state.pickFn = r.fn; state.search = r.name;
    $('search').value = r.name;
    refreshSearch();
  }

  // ---------------------------------------------------------------- header
  function renderMeta() {
    var box = $('meta');
    box.textContent = '';
    var add = function (k, v) {
      var d = el('div'); d.appendChild(el('dt', null, k)); d.appendChild(el('dd', null, v)); box.appendChild(d);
    };
    var warn = [];
    runs.forEach(function (r, ri) {
      var m = r.meta;
      if (DIFF) {
        // one line per run
        var d = el('div', 'run');
        d.appendChild(el('dt', null, ri ? 'after' : 'before'));
        d.appendChild(el('dd', null, [D.labels[ri] || '', m.argv.join(' '), 'Python ' + (m.python || '?'), m.mode,
          m.end ? fmtNs(m.duration_ns) : 'duration unknown', fmtRate(m), fmtInt(m.samples) + ' samples',
          fmtInt(m.errors) + ' errors', 'pid ' + m.pid, m.start_ms ? new Date(m.start_ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '',
          'Python time ' + fmtNs(r.pyNs)].join(' \u00b7 ')));
        box.appendChild(d);
        if (m.idle_samples > 0) add(ri ? 'after' : 'before', fmtInt(m.idle_samples) + ' samples without Python frames (' + fmtNs(m.idle_ns) + '), not shown');
        if (m.warning) warn.push((ri ? 'after: ' : 'before: ') + m.warning);
        return;
      }
      add('command', m.argv.join(' ') || '\u2013');
      add('python', m.python || '?');
      add('mode', m.mode);
      add('duration', m.end ? fmtNs(m.duration_ns) : 'unknown (file cut short)');
      add('rate', fmtRate(m));
      add('samples', fmtInt(m.samples));
      add('errors', fmtInt(m.errors));
      add('pid', String(m.pid));
      add('started', m.start_ms ? new Date(m.start_ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '?');
      add('threads', String(r.threads.length));
      add('python time', fmtNs(r.timeNs));
      if (r.mem) {
        var mi = r.mem.info;
        add('memory', mi.disabled ? 'not recorded: ' + mi.message : 'peak ' + fmtBytes(mi.peak_bytes) + ' at ' + fmtNs(mi.peak_ms * 1e6) +
          ' \u00b7 allocated ' + fmtBytes(r.mem.totals.alloc) + ' \u00b7 ' + (mi.ended ? 'leaked ' : 'held at the last update ') +
          fmtBytes(r.mem.totals.live) + ' \u00b7 ' + (mi.exact ? 'every allocation' : 'sampled every ' + fmtBytes(mi.sample_bytes)) +
          (mi.native ? ', native allocations too' : ''));
        if (r.mem.noFrame.alloc > 0) add('memory without Python frames', fmtBytes(r.mem.noFrame.alloc) + ' allocated, not shown');
      }
      if (m.idle_samples > 0) add('without Python frames', fmtInt(m.idle_samples) + ' samples (' + fmtNs(m.idle_ns) + '), not shown');
      if (m.warning) warn.push(m.warning);
    });
    if (warn.length) { $('warning').textContent = 'Warning: ' + warn.join('; '); $('warning').hidden = false; }
    $('kind').textContent = DIFF ? 'diff' : 'profile';
    $('command').textContent = DIFF ? (D.labels[0] || 'before') + '  \u2192  ' + (D.labels[1] || 'after') : runs[0].meta.argv.join(' ');
    document.title = 'pyrometer: ' + (DIFF ? 'diff ' + (D.labels[0] || '') + ' \u2192 ' + (D.labels[1] || '') : runs[0].meta.argv.join(' '));
  }

  function renderMeasureSelect() {
    var r = runs[0], sel = $('measure');
    if (DIFF || !r.mem) return;
    $('measure-field').hidden = false;
    var o = el('option', null, 'Time (' + r.meta.mode + ')'); o.value = 'time'; sel.appendChild(o);
    Object.keys(MEASURES).forEach(function (m) {
      var opt = el('option', null, MEASURES[m].label + ' (' + fmtBytes(r.mem.totals[m]) + ')');
      opt.value = m; sel.appendChild(opt);
    });
    sel.value = state.measure;
  }

  // ---------------------------------------------------------------- memory over time
  var memCanvas = $('mem-canvas'), memCtx = memCanvas.getContext('2d');
  var memPlot = null;      // what was drawn: scales and the peak marker, for hover and tests
  var MEM_PAD = { l: 84, r: 12, t: 8, b: 18 };
  function drawMemory() {
    var r = runs[0], M = r.mem;
    if (DIFF || !M) return;
    $('mem-pane').hidden = false;
    var W = Math.max(1, memCanvas.parentNode.clientWidth), H = 110, dpr = window.devicePixelRatio || 1, i;
    if (memCanvas.width !== Math.round(W * dpr) || memCanvas.height !== Math.round(H * dpr)) {
      memCanvas.width = Math.round(W * dpr); memCanvas.height = Math.round(H * dpr);
    }
    memCanvas.style.width = W + 'px'; memCanvas.style.height = H + 'px';
    var c = memCtx, n = M.t.length, tMax = 1, yMax = 1;
    for (i = 0; i < n; i++) {
      if (M.t[i] > tMax) tMax = M.t[i];
      if (M.heap[i] > yMax) yMax = M.heap[i];
      if (M.rss[i] > yMax) yMax = M.rss[i];
    }
    if (M.info.peak_ms > tMax) tMax = M.info.peak_ms;
    if (M.info.peak_bytes > yMax) yMax = M.info.peak_bytes;
    var x0 = MEM_PAD.l, x1 = W - MEM_PAD.r, y0 = H - MEM_PAD.b, y1 = MEM_PAD.t;
    var X = function (t) { return x0 + (x1 - x0) * t / tMax; }, Y = function (b) { return y0 - (y0 - y1) * b / yMax; };
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.clearRect(0, 0, W, H);
    c.font = FONT; c.textBaseline = 'middle'; c.fillStyle = '#5f6670';
    c.strokeStyle = '#d9dce1'; c.lineWidth = 1;
    [0, 0.5, 1].forEach(function (f) {
      var y = Math.round(Y(yMax * f)) + 0.5;
      c.beginPath(); c.moveTo(x0, y); c.lineTo(x1, y); c.stroke();
      c.textAlign = 'right'; c.fillText(fmtBytes(yMax * f), x0 - 6, y);
    });
    c.textAlign = 'left'; c.fillText('0', x0, H - 8);
    c.textAlign = 'right'; c.fillText(fmtNs(tMax * 1e6), x1, H - 8);
    if (n > 0) {
      // the Python heap as a filled area, RSS as a line
      c.beginPath(); c.moveTo(X(M.t[0]), y0);
      for (i = 0; i < n; i++) c.lineTo(X(M.t[i]), Y(M.heap[i]));
      c.lineTo(X(M.t[n - 1]), y0); c.closePath();
      c.fillStyle = 'rgba(179,38,30,0.25)'; c.fill();
      c.beginPath();
      for (i = 0; i < n; i++) c[i ? 'lineTo' : 'moveTo'](X(M.t[i]), Y(M.heap[i]));
      c.strokeStyle = '#b3261e'; c.lineWidth = 1.5; c.stroke();
      c.beginPath();
      var any = false;
      for (i = 0; i < n; i++) {
        if (!(M.rss[i] > 0)) continue;
        c[any ? 'lineTo' : 'moveTo'](X(M.t[i]), Y(M.rss[i])); any = true;
      }
      c.strokeStyle = '#3b6fb6'; c.lineWidth = 1; c.stroke();
    }
    var px = Math.round(X(M.info.peak_ms)) + 0.5, py = Y(M.info.peak_bytes);
    c.setLineDash([3, 3]); c.strokeStyle = '#1d1f23';
    c.beginPath(); c.moveTo(px, y0); c.lineTo(px, y1); c.stroke(); c.setLineDash([]);
    c.fillStyle = '#1d1f23'; c.beginPath(); c.arc(px, py, 3, 0, 2 * Math.PI); c.fill();
    var label = 'peak ' + fmtBytes(M.info.peak_bytes) + ' at ' + fmtNs(M.info.peak_ms * 1e6);
    c.textAlign = px > (x0 + x1) / 2 ? 'right' : 'left';
    c.fillText(label, px + (c.textAlign === 'right' ? -6 : 6), Math.max(y1 + 6, py));
    memPlot = { x0: x0, x1: x1, y0: y0, y1: y1, tMax: tMax, yMax: yMax, peakX: px, peakY: py, points: n, W: W, H: H };
    $('mem-caption').textContent = 'Memory over time: the Python heap' + (M.info.native ? ' and native allocations' : '') +
      (M.info.exact ? '' : ' (estimated from samples)') + ' (red, filled) and the resident set size (blue line); the dashed line marks the peak.';
  }
  // The point nearest a time, for the hover text.
  function memAt(clientX) {
    var M = runs[0].mem, P = memPlot, rect = memCanvas.getBoundingClientRect();
    if (!M || !P || !M.t.length) return -1;
    var t = (clientX - rect.left - P.x0) / (P.x1 - P.x0) * P.tMax, lo = 0, hi = M.t.length - 1;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (M.t[mid] < t) lo = mid + 1; else hi = mid; }
    if (lo > 0 && Math.abs(M.t[lo - 1] - t) < Math.abs(M.t[lo] - t)) lo--;
    return lo;
  }
  memCanvas.addEventListener('mousemove', function (ev) {
    var i = memAt(ev.clientX), M = runs[0].mem;
    if (i < 0) { tip.hidden = true; return; }
    tip.textContent = '';
    tip.appendChild(el('div', 'n', 'at ' + fmtNs(M.t[i] * 1e6)));
    var tb = el('tbody'), tbl = el('table');
    tipRow(tb, 'heap', fmtBytes(M.heap[i]));
    tipRow(tb, 'rss', M.rss[i] > 0 ? fmtBytes(M.rss[i]) : 'unknown');
    tbl.appendChild(tb); tip.appendChild(tbl);
    tip.hidden = false;
    var pw = tip.offsetWidth, x = ev.clientX + 14;
    if (x + pw > window.innerWidth - 4) x = Math.max(4, ev.clientX - pw - 14);
    tip.style.left = x + 'px'; tip.style.top = (ev.clientY + 14) + 'px';
  });
  memCanvas.addEventListener('mouseleave', function () { tip.hidden = true; });

  function renderThreadSelect() {
    var sel = $('thread');
    sel.textContent = '';
    if (DIFF) { $('thread-field').hidden = true; return; }
    var r = runs[0], tot = r.pyNs;
    var opt = function (value, text, disabled) {
      var o = el('option', null, text); o.value = value; o.disabled = !!disabled; sel.appendChild(o);
    };
    if (state.measure !== 'time') {
      // the agent keeps memory per stack, not per thread
      opt('all', 'All threads (' + fmtBytes(tot) + '; memory is not split by thread)');
      sel.value = 'all';
      sel.disabled = true;
      return;
    }
    sel.disabled = false;
    opt('all', 'All threads, merged (' + fmtNs(tot) + ')');
    opt('each', 'All threads, one root each');
    r.threads.forEach(function (t) {
      opt('t' + t.index, threadLabel(t) + ' \u2014 ' + (t.leaves.n ? fmtNs(t.pyNs) + ' (' + fmtPct(tot > 0 ? t.pyNs / tot : 0) + ')' : 'no Python samples'), !t.leaves.n);
    });
    sel.value = state.sel;
  }

  function renderLegend() {
    var box = $('legend');
    box.textContent = '';
    if (DIFF) {
      var sw = function (c) { var s = el('span', 'sw'); s.style.background = c; return s; };
      box.appendChild(document.createTextNode('Width: time in both runs together' + (state.norm ? ' (each as a share of its run)' : '') + '. Colour: change in total time'));
      box.appendChild(sw(diffColour(-1, 1)));
      box.appendChild(document.createTextNode('faster'));
      box.appendChild(sw(diffColour(0, 1)));
      box.appendChild(document.createTextNode('same'));
      box.appendChild(sw(diffColour(1, 1)));
      box.appendChild(document.createTextNode('slower, stronger for larger changes.'));
    } else if (state.measure !== 'time') {
      var mi = runs[0].mem.info;
      box.textContent = 'Width: ' + MEASURES[state.measure].what + (mi.exact ? '' : ' (estimated from allocations sampled every ' +
        fmtBytes(mi.sample_bytes) + ' on average)') + '. Colour: one hue per file. Click a frame to zoom; / searches, Esc resets.';
    } else {
      box.textContent = 'Width: total time. Colour: one hue per file. Click a frame to zoom, the path above to zoom out; / searches, Esc resets.';
    }
  }

  function renderMatch() {
    var box = $('match'), s = $('search');
    s.classList.toggle('bad', !!searchError);
    box.classList.toggle('on', matchKey !== null);
    if (searchError) { box.textContent = 'bad regex: ' + searchError; return; }
    if (matchKey === null) { box.textContent = ''; return; }
    if (DIFF) {
      box.textContent = 'matched ' + fmtPct(matched.share) + ' of view (before ' + fmtNs(matched.sides[0]) + ', after ' + fmtNs(matched.sides[1]) + ')';
    } else {
      box.textContent = 'matched ' + fmtW(matched.sides[0]) + ', ' + fmtPct(matched.share) + ' of view';
    }
  }

  // ---------------------------------------------------------------- updates
  var drawQueued = false;
  function queueDraw() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(function () { drawQueued = false; draw(); });
  }
  function scrollToZoom() {
    var y = rowY(tree.depth[state.zoom]);
    if (state.orient === 'flame') graph.scrollTop = Math.max(0, y + ROW - L.H);
    else graph.scrollTop = Math.max(0, y - ROW * 2);
  }
  // Everything that depends on the tree and the zoom.
  var timings = {};
  function timed(name, fn) {
    var t0 = performance.now();
    fn();
    timings[name] = performance.now() - t0;
  }
  function refreshView(keepScroll) {
    timed('layout', layout);
    if (!keepScroll) scrollToZoom();
    timed('matched', computeMatched);
    timed('table', computeTable);
    timed('tableDom', renderTable);
    renderCrumbs();
    renderMatch();
    timed('draw', draw);
  }
  function refreshSearch() {
    computeMatches();
    computeMatched();
    renderMatch();
    markTableRows();
    draw();
  }
  function zoomTo(n) {
    if (n < 0 || n >= tree.N) return;
    state.zoom = n;
    refreshView(false);
  }
  // The zoom as a path of keys, to find the same place in another tree.
  function zoomKeys() {
    var ks = [], n;
    for (n = state.zoom; n > 0; n = tree.parent[n]) ks.push(tree.key[n]);
    return ks.reverse();
  }
  function findKeys(T, ks) {
    var n = 0;
    for (var i = 0; i < ks.length; i++) {
      var next = -1;
      for (var c = T.cs[n]; c < T.cs[n + 1]; c++) if (T.key[T.cl[c]] === ks[i]) { next = T.cl[c]; break; }
      if (next < 0 || T.width[next] <= 0) break;
      n = next;
    }
    return n;
  }
  function setTree(keepZoom) {
    var ks = keepZoom ? zoomKeys() : [];
    timed('tree', function () { tree = getTree(); });
    state.zoom = keepZoom ? findKeys(tree, ks) : 0;
    computeMatches();
    refreshView(false);
  }
  function selectThread(v) {
    if (DIFF) return;
    var old = state.sel;
    state.sel = String(v);
    if ($('thread').value !== state.sel) $('thread').value = state.sel;
    // a thread's tree has the same keys: keep the zoom when it exists there
    setTree(old !== 'each' && state.sel !== 'each');
  }
  function setGran(g) {
    if (g !== 'fn' && g !== 'line') return;
    state.gran = g;
    $('gran-fn').classList.toggle('on', g === 'fn'); $('gran-line').classList.toggle('on', g === 'line');
    setTree(false);
  }
  function setOrient(o) {
    if (o !== 'flame' && o !== 'icicle') return;
    state.orient = o;
    $('orient-flame').classList.toggle('on', o === 'flame'); $('orient-icicle').classList.toggle('on', o === 'icicle');
    refreshView(false);
  }
  function setNorm(b) {
    if (!DIFF) return;
    state.norm = !!b;
    $('norm-abs').classList.toggle('on', !b); $('norm-share').classList.toggle('on', !!b);
    tree = getTree();
    renderLegend();
    refreshView(true);
  }
  // Switch the measure's data; false if there is no such measure here.
  function useMeasure(m) {
    var r = runs[0];
    if (DIFF || !(m === 'time' || (r.mem && MEASURES[m]))) return false;
    state.measure = m;
    if (m === 'time') { r.threads = r.timeThreads; r.pyNs = r.timeNs; }
    else { r.threads = [r.mem.threads[m]]; r.pyNs = r.mem.threads[m].pyNs; state.sel = 'all'; }
    if ($('measure').value !== m) $('measure').value = m;
    return true;
  }
  function setMeasure(m) {
    if (!useMeasure(m)) return;
    renderThreadSelect();
    renderLegend();
    setTree(true);
    drawMemory();
  }
  function setSearch(text, regex) {
    state.search = String(text || ''); state.regex = !!regex; state.pickFn = -1;
    if ($('search').value !== state.search) $('search').value = state.search;
    $('regex').checked = state.regex;
    refreshSearch();
  }

  // ---------------------------------------------------------------- events
  var downAt = null;
  canvas.addEventListener('mousemove', function (ev) {
    var i = hit(ev.clientX, ev.clientY);
    if (i < 0) { tip.hidden = true; return; }
    showTip(i, ev);
  });
  canvas.addEventListener('mouseleave', function () { tip.hidden = true; });
  canvas.addEventListener('mousedown', function (ev) { downAt = [ev.clientX, ev.clientY]; });
  canvas.addEventListener('click', function (ev) {
    if (downAt && Math.abs(ev.clientX - downAt[0]) + Math.abs(ev.clientY - downAt[1]) > 6) return; // a drag, not a click
    var i = hit(ev.clientX, ev.clientY);
    if (i >= 0) { tip.hidden = true; zoomTo(L.n[i]); }
  });
  graph.addEventListener('scroll', function () { tip.hidden = true; queueDraw(); });
  $('thread').addEventListener('change', function () { selectThread($('thread').value); });
  $('measure').addEventListener('change', function () { setMeasure($('measure').value); });
  $('gran-fn').addEventListener('click', function () { setGran('fn'); });
  $('gran-line').addEventListener('click', function () { setGran('line'); });
  $('orient-flame').addEventListener('click', function () { setOrient('flame'); });
  $('orient-icicle').addEventListener('click', function () { setOrient('icicle'); });
  $('norm-abs').addEventListener('click', function () { setNorm(false); });
  $('norm-share').addEventListener('click', function () { setNorm(true); });
  $('reset').addEventListener('click', function () { zoomTo(0); });
  $('search').addEventListener('input', function () { setSearch($('search').value, $('regex').checked); });
  $('regex').addEventListener('change', function () { setSearch($('search').value, $('regex').checked); });
  document.addEventListener('keydown', function (ev) {
    var inInput = ev.target && (ev.target.tagName === 'INPUT' || ev.target.tagName === 'SELECT');
    if (ev.key === '/' && !inInput) { ev.preventDefault(); $('search').focus(); $('search').select(); }
    else if (ev.key === 'Escape') {
      if (inInput && $('search').value) setSearch('', state.regex);
      else zoomTo(0);
    }
  });
  var lastW = -1, lastH = -1;
  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      if (graph.clientWidth === lastW && graph.clientHeight === lastH) return;
      lastW = graph.clientWidth; lastH = graph.clientHeight;
      if (tree) { layout(); draw(); drawMemory(); }
    }).observe(graph);
  }

  // ---------------------------------------------------------------- test and scripting API
  function frameInfo(T, i, withPath) {
    var n = L.n[i], r = canvas.getBoundingClientRect(), y = rowY(T.depth[n]) - graph.scrollTop;
    var f = { id: n, name: nodeName(T, n), label: nodeLabel(T, n), file: nodeFile(T, n), line: nodeLine(T, n),
      depth: T.depth[n], kind: T.key[n] === -1 ? 'root' : T.key[n] < -1 ? 'thread' : 'frame',
      x: r.left + L.x[i], y: r.top + y, w: L.w[i], h: ROW - 1,
      onScreen: y + ROW > 0 && y < L.H, matched: isMatch(T, n) };
    if (!DIFF) {
      f.total = T.total[0][n]; f.self = T.self[0][n]; f.samples = T.tsamp[0][n]; f.selfSamples = T.samp[0][n];
    } else {
      f.before = T.total[0][n]; f.after = T.total[1][n]; f.selfBefore = T.self[0][n]; f.selfAfter = T.self[1][n];
      f.delta = nodeDelta(T, n);
      f.color = T.key[n] < 0 ? null : diffColour(f.delta, L.dscale);
    }
    if (withPath) {
      var p = [];
      for (var a = n; a >= 0; a = T.parent[a]) p.push(a);
      f.path = p.reverse();
    }
    return f;
  }
  var api = {
    ready: false,
    kind: D.kind,
    firstRenderMs: null,
    state: function () {
      var T = tree;
      return { measure: state.measure, selection: state.sel, granularity: state.gran, orientation: state.orient, normalized: state.norm,
        zoom: state.zoom, zoomName: nodeName(T, state.zoom), search: state.search, regex: state.regex, pickFn: state.pickFn,
        searchError: searchError, matchedShare: matched.share, matchedWidth: matched.width, matchedNs: matched.sides.slice(0, NS),
        viewWidth: T.width[state.zoom], viewTotals: T.total.map(function (t) { return t[state.zoom]; }),
        rootTotals: T.total.map(function (t) { return t[0]; }), rootSamples: T.tsamp.map(function (t) { return t[0]; }),
        nodes: T.N, laidOut: L.n.length, sortCol: state.sortCol, sortAsc: state.sortAsc };
    },
    rootPath: function () {
      var T = tree, out = [];
      for (var n = state.zoom; n >= 0; n = T.parent[n]) out.push({ id: n, name: nodeName(T, n), file: nodeFile(T, n), line: nodeLine(T, n) });
      return out.reverse();
    },
    crumbs: function () { return Array.prototype.map.call($('crumbs').querySelectorAll('button'), function (b) { return b.textContent; }); },
    visibleFrames: function (opts) {
      var out = [], onlyScreen = opts && opts.onScreen;
      for (var i = 0; i < L.n.length; i++) {
        var f = frameInfo(tree, i, opts && opts.paths);
        if (!onlyScreen || f.onScreen) out.push(f);
      }
      return out;
    },
    // Every node with self time: its frames from the root, for comparing with the collapsed format.
    stacks: function () {
      var T = tree, out = [];
      for (var n = 1; n < T.N; n++) {
        if (!(T.self[0][n] > 0) && !(NS > 1 && T.self[1][n] > 0)) continue;
        var frames = [], thread = null;
        for (var a = n; a > 0; a = T.parent[a]) {
          if (T.key[a] < -1) thread = T.groupLabels[-2 - T.key[a]];
          else frames.push([nodeName(T, a), nodeFile(T, a), nodeLine(T, a)]);
        }
        out.push({ thread: thread, frames: frames.reverse(), self: T.self.map(function (s) { return s[n]; }) });
      }
      return out;
    },
    threads: function () {
      return Array.prototype.map.call($('thread').options, function (o) { return { value: o.value, label: o.textContent, disabled: o.disabled }; });
    },
    threadInfo: function () {
      return runs[0].threads.map(function (t) { return { index: t.index, tid: t.tid, name: t.name, interp: t.interp, pyNs: t.pyNs, label: threadLabel(t) }; });
    },
    tableRows: function () {
      return Array.prototype.map.call($('tbody').rows, function (tr, i) {
        var r = tableRows[i], o = { cells: Array.prototype.map.call(tr.cells, function (c) { return c.textContent; }), selected: tr.className === 'selected' };
        for (var k in r) if (Object.prototype.hasOwnProperty.call(r, k)) o[k] = r[k];
        return o;
      });
    },
    tableLength: function () { return tableRows.length; },
    timings: function () { return timings; },
    columns: function () { return COLS.map(function (c) { return c.id; }); },
    zoom: zoomTo,
    reset: function () { zoomTo(0); },
    setMeasure: setMeasure,
    measures: function () {
      return Array.prototype.map.call($('measure').options, function (o) { return { value: o.value, label: o.textContent }; });
    },
    // The memory data as the page read it, and what the plot drew.
    memory: function () {
      var M = runs[0].mem;
      if (!M) return null;
      return { info: M.info, totals: M.totals, noFrame: M.noFrame, points: M.t.length, plot: memPlot,
        caption: $('mem-caption').textContent, visible: !$('mem-pane').hidden };
    },
    search: setSearch,
    selectThread: selectThread,
    setGranularity: setGran,
    setOrientation: setOrient,
    setNormalized: setNorm,
    sortTable: function (col, asc) { state.sortCol = col; state.sortAsc = !!asc; sortTable(); renderTable(); },
    pickRow: pickRow,
    // time one call of fn, redrawn, in ms
    time: function (name, arg1, arg2) {
      var t0 = performance.now();
      api[name](arg1, arg2);
      return performance.now() - t0;
    }
  };
  window.pyrometer = api;

  // ---------------------------------------------------------------- start
  renderMeta();
  renderMeasureSelect();
  // A run with memory but no Python samples opens on memory held at the peak.
  if (!DIFF && runs[0].mem && !(runs[0].timeNs > 0)) useMeasure('peak');
  renderThreadSelect();
  if (DIFF) { $('norm-field').hidden = false; document.body.classList.add('diff'); }
  renderLegend();
  lastW = graph.clientWidth; lastH = graph.clientHeight;
  tree = getTree();
  computeMatches();
  refreshView(false);
  drawMemory();
  performance.mark('pyro-first-render');
  api.firstRenderMs = performance.now();
  api.ready = true;
  // Build the other shapes while the user reads, so that the first switch
  // to lines or to one root per thread does not wait for them.
  var idle = window.requestIdleCallback || function (f) { return setTimeout(f, 300); };
  idle(function () {
    getStructure('line', 'merged');
    if (!DIFF) idle(function () { getStructure('fn', 'each'); });
  });
})();
