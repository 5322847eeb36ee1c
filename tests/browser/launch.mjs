// launch.mjs - open a local html file in headless Chromium with every network
// request refused and recorded, and every console error, page error and
// dialog collected. Shared by html_check.mjs and bench/html_first_render.mjs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = fileURLToPath(new URL('.', import.meta.url));
const require = createRequire(join(here, 'package.json'));
const { chromium } = require('playwright-core');

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Open path; returns { context, page, url, problems, close() }. problems
// collects network attempts, console errors, page errors and dialogs.
export async function openPage(path, { width = 1400, height = 900 } = {}) {
  const profileDir = mkdtempSync(join(tmpdir(), 'pyro-chromium-'));
  // A fresh profile directory each time (playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width, height },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const url = pathToFileURL(resolve(path)).href;
  const problems = { network: [], console: [], page: [], dialogs: [] };
  // Only the page itself may be loaded; anything else is refused and recorded.
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    problems.network.push(u);
    return route.abort();
  });
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.console.push(m.text()); });
  page.on('pageerror', (e) => problems.page.push(String(e && e.stack || e)));
  page.on('dialog', (d) => { problems.dialogs.push(d.type() + ': ' + d.message()); d.dismiss().catch(() => {}); });
  page.on('request', (r) => { const u = r.url(); if (u !== url && !u.startsWith('data:')) problems.network.push(u); });
  return {
    context, page, url, problems,
    async close() {
      await context.close().catch(() => {});
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}
