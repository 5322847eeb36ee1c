// Load a profile in speedscope's own release build, in headless Chromium, and print
// what a person would see as one JSON object on stdout (tests/e2e/test_speedscope_chrome.py
// reads it and decides what passes).
//
// usage: node speedscope_check.mjs URL...
//   URL: speedscope's index.html, served over http, with "#profileURL=...&view=...". Each
//   is opened in a new page of one browser.
//
// Printed: {"results": [one object per URL, in order]}, each with: pageErrors (uncaught exceptions), consoleErrors, consoleWarnings, dialogs (any
// alert/confirm/prompt: a name that executed), failedRequests, title (document.title), toolbar
// (the profile name and "(i/n)" in the toolbar), profileRows (the names the profile selector
// lists, one per thread), text (the page's visible text), imgs (the <img> elements' src: the
// page itself has none), loaded (whether a profile was shown before the timeout).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const urls = process.argv.slice(2);
if (!urls.length) {
  console.error('usage: node speedscope_check.mjs URL...');
  process.exit(2);
}
const TIMEOUT_MS = 30000;

async function check(context, url) {
  const result = {
    pageErrors: [], consoleErrors: [], consoleWarnings: [], dialogs: [], failedRequests: [],
    title: null, toolbar: null, profileRows: [], text: '', imgs: [], loaded: false,
  };
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => result.pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') result.consoleErrors.push(m.text());
      else if (m.type() === 'warning') result.consoleWarnings.push(m.text());
    });
    page.on('dialog', async (d) => {
      result.dialogs.push(`${d.type()}: ${d.message()}`);
      await d.dismiss().catch(() => {});
    });
    page.on('requestfailed', (r) => result.failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`));

    await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS });
    // speedscope sets the title to "<name> - speedscope" once the profile is imported and
    // then shows the view tabs; a file it cannot import gives "Something went wrong".
    const shown = () => / - speedscope$/.test(document.title) &&
      document.body.innerText.includes('Left Heavy');
    try {
      await page.waitForFunction((f) => eval(f)() ||
        document.body.innerText.includes('Something went wrong'), `(${shown})`,
      { timeout: TIMEOUT_MS });
      result.loaded = await page.evaluate((f) => eval(f)(), `(${shown})`);
    } catch (e) {
      result.loadError = String(e);
    }
    await page.waitForTimeout(500); // let the first frame paint and any late error surface
    result.title = await page.title();
    // The toolbar shows "<profile name> (i/n)" when the file holds several profiles (the
    // class names are minified, so find it by its text).
    const center = page.getByText(/\(\d+\/\d+\)$/).first();
    if (await center.count()) {
      result.toolbar = await center.evaluate((e) => (e.parentElement || e).innerText.trim());
      // Hovering the name opens the profile selector: a filter box, then one row per
      // profile (thread).
      // A long name runs under the toolbar's Import/Export buttons, which then take the
      // pointer; move to a point of the name that is on top (hit-tested) instead.
      const spot = await center.evaluate((e) => {
        const box = (e.parentElement || e).getBoundingClientRect();
        const y = box.top + box.height / 2;
        for (let x = box.left + 2; x < box.right; x += 4) {
          const hit = document.elementFromPoint(x, y);
          if (hit && (e.parentElement || e).contains(hit)) return { x, y };
        }
        return null;
      });
      if (!spot) throw new Error('the profile name is covered everywhere: ' + result.toolbar);
      await page.mouse.move(spot.x, spot.y);
      try {
        await page.locator('input[placeholder="Filter..."]').waitFor({ timeout: 5000 });
        result.profileRows = await page.evaluate(() => {
          const box = document.querySelector('input[placeholder="Filter..."]').parentElement;
          const list = box.nextElementSibling;
          return list ? [...list.children].map((e) => e.innerText.trim()).filter((t) => t) : [];
        });
      } catch (e) {
        result.profileRows = [];
      }
      await page.mouse.move(640, 700);
    }
    result.text = await page.evaluate(() => document.body.innerText);
    result.imgs = await page.evaluate(() => [...document.querySelectorAll('img')].map((i) => i.src));
    await page.close();
  } catch (e) {
    result.pageErrors.push(`driver: ${e}`);
  }
  return result;
}

const results = [];
const userDataDir = mkdtempSync(join(tmpdir(), 'pyrometer-speedscope-'));
let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1600, height: 900 },
  });
  for (const url of urls) results.push(await check(context, url));
} catch (e) {
  results.push({ pageErrors: [`driver: ${e}`] });
} finally {
  if (context) await context.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify({ results }) + '\n');
