/*
 * End-to-end tests of the web app in Debian's Chromium (playwright-core).
 *
 * Needs a running `tandem serve`: either TANDEM_URL (an external server; the
 * server-restart step is then skipped) or TANDEM_SERVE, a command line that
 * starts one on a fixed port and prints "listening on ..." (this script
 * starts, restarts and stops it).  Screenshots and results.json go to
 * TANDEM_ARTIFACTS (default build/browser-artifacts).
 *
 * Scenarios (issue 6): 1 two people edit, see each other's named cursor and
 * chat; 2 wrong and right Two Sum verdicts in both windows; 3 reload and
 * server restart keep the document; 4 the replay scrubbed to the middle;
 * 5 an observer watches but cannot type.  Measures: keystroke-to-remote
 * latency (p50/p99 over 200 keys), gzipped JS, cold editor-ready time.
 */
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const ARTIFACTS = path.resolve(process.env.TANDEM_ARTIFACTS || 'build/browser-artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const KEYS = Number(process.env.TANDEM_LATENCY_KEYS || 200);
const T = { step: 30_000, run: 120_000, server: 60_000 };
fs.mkdirSync(ARTIFACTS, { recursive: true });

let server = null;
let baseUrl = process.env.TANDEM_URL || '';

function startServer() {
  return new Promise((resolve, reject) => {
    const proc = spawn('/bin/sh', ['-c', `exec ${process.env.TANDEM_SERVE}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = fs.createWriteStream(path.join(ARTIFACTS, 'server.log'), { flags: 'a' });
    let seen = '';
    const timer = setTimeout(() => reject(new Error('the server did not say "listening on" in time')), T.server);
    const onData = (d) => {
      log.write(d);
      if (seen === null) return;
      seen += d.toString();
      // The HTTP line; nodes also log "listening on inproc://..." and tcp URLs.
      const m = /listening on\s+(https?:\/\/[^\s",}]+)/i.exec(seen);
      if (m) {
        seen = null;
        clearTimeout(timer);
        let url = m[1].replace(/[",}]+$/, '');
        if (!/^https?:\/\//.test(url)) url = `http://${url}`;
        resolve({ proc, url: url.replace(/\/$/, '').replace('0.0.0.0', '127.0.0.1') });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (seen !== null) reject(new Error(`the server exited (${code}) before listening`));
    });
  });
}

function stopServer() {
  if (!server) return Promise.resolve();
  const proc = server.proc;
  server = null;
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.on('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

const results = { scenarios: {}, measures: {} };
let browser;

async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: false }).catch(() => {});
}

async function newPage(opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...opts });
  const page = await ctx.newPage();
  page.setDefaultTimeout(T.step);
  page.on('pageerror', (e) => console.error(`# page error: ${e.message}`));
  return page;
}

async function editorReady(page) {
  await page.waitForSelector('body[data-editor-ready="true"]');
  await page.waitForSelector('main.room[data-synced="true"]');
}

const docText = (page) => page.evaluate(() => window.tandem.ytext.toString());
const waitText = (page, pred, arg) =>
  page.waitForFunction(([src, a]) => new Function('t', 'a', `return (${src})(t, a)`)(window.tandem?.ytext?.toString() ?? null, a), [pred.toString(), arg]);

async function setCode(page, code) {
  await page.evaluate((c) => {
    const t = window.tandem.ytext;
    t.doc.transact(() => {
      t.delete(0, t.length);
      t.insert(0, c);
    });
  }, code);
}

async function timelineCount(page, room) {
  return page.evaluate(async (r) => {
    let n = 0;
    let from = 0;
    for (;;) {
      const res = await fetch(`/api/rooms/${r}/timeline?from=${from}&limit=1000`);
      const j = await res.json();
      n += j.events.length;
      if (j.next == null || j.events.length === 0) return n;
      from = j.next;
    }
  }, room);
}

const WRONG = `from typing import List


class Solution:
    def twoSum(self, nums: List[int], target: int) -> List[int]:
        for i in range(len(nums)):
            for j in range(i, len(nums)):
                if nums[i] + nums[j] == target:
                    return [i, j]
        return []
`;
const RIGHT = `from typing import List


class Solution:
    def twoSum(self, nums: List[int], target: int) -> List[int]:
        seen = {}
        for i, x in enumerate(nums):
            if target - x in seen:
                return [seen[target - x], i]
            seen[x] = i
        return []
`;

async function scenario(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.scenarios[name] = { ok: true, ms: Date.now() - t0 };
    console.log(`ok - ${name}`);
  } catch (e) {
    results.scenarios[name] = { ok: false, ms: Date.now() - t0, error: String(e?.message ?? e) };
    console.log(`not ok - ${name}\n# ${String(e?.stack ?? e).split('\n').join('\n# ')}`);
    throw e;
  }
}

function pct(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main() {
  if (process.env.TANDEM_SERVE) {
    server = await startServer();
    baseUrl = server.url;
  }
  if (!baseUrl) throw new Error('set TANDEM_URL or TANDEM_SERVE');
  console.log(`# server ${baseUrl}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });

  const A = await newPage();
  const B = await newPage();
  let room = '';
  let invite = '';
  let midCount = 0;
  let midText = '';

  await scenario('1 two people edit, see named cursors and chat', async () => {
    await A.goto(`${baseUrl}/`);
    await A.getByLabel('Your name').fill('Alice');
    await A.getByText('Two Sum', { exact: true }).click();
    await shot(A, '01-home');
    await A.getByRole('button', { name: 'Create room' }).click();
    invite = await A.getByLabel('Invite link to share').inputValue();
    room = /\/join\/([^/?]+)/.exec(invite)[1];
    await A.getByRole('button', { name: 'Enter the room' }).click();
    await editorReady(A);
    await waitText(A, (t) => t && t.includes('class Solution'));

    await B.goto(invite);
    await B.getByLabel('Your name').fill('Bob');
    await B.getByRole('button', { name: 'Join room' }).click();
    await editorReady(B);
    await waitText(B, (t) => t && t.includes('class Solution'));

    // Type at the end of the document in A.
    await A.locator('.monaco-editor .view-lines').click();
    await A.keyboard.press('Control+End');
    await A.keyboard.type('# hello from alice\n', { delay: 10 });
    await waitText(B, (t) => t.includes('# hello from alice'));
    await B.waitForFunction(() => document.querySelector('.monaco-editor .view-lines')?.textContent.replace(/\u00a0/g, ' ').includes('# hello from alice'));

    // Each sees the other's named cursor.
    await B.locator('.monaco-editor .view-lines').click();
    await B.keyboard.press('Control+Home');
    const namedCursor = (name) =>
      [...document.querySelectorAll('.yRemoteSelectionHead')].some((el) => getComputedStyle(el, '::after').content.includes(name));
    await B.waitForFunction(namedCursor, 'Alice');
    await A.waitForFunction(namedCursor, 'Bob');
    await shot(A, '02-room-alice-sees-bob');
    await shot(B, '03-room-bob-sees-alice');

    // Chat both ways.
    await A.getByLabel('Message').fill('hi Bob');
    await A.getByLabel('Message').press('Enter');
    await B.locator('.chat-log').getByText('hi Bob').waitFor();
    await B.getByLabel('Message').fill('hi Alice');
    await B.getByRole('button', { name: 'Send' }).click();
    await A.locator('.chat-log').getByText('hi Alice').waitFor();
    await shot(B, '04-chat');
  });

  await scenario('measure keystroke-to-remote latency', async () => {
    await A.locator('.monaco-editor .view-lines').click();
    await A.keyboard.press('Control+End');
    await B.evaluate(() => {
      window.__arrivals = [];
      window.tandem.ytext.observe(() => window.__arrivals.push(performance.timeOrigin + performance.now()));
    });
    await A.evaluate(() => {
      window.__keys = [];
      window.addEventListener('keydown', (e) => window.__keys.push(performance.timeOrigin + e.timeStamp), true);
    });
    const base = (await docText(B)).length;
    for (let i = 0; i < KEYS; i++) {
      await A.keyboard.press(String.fromCharCode(97 + (i % 26)));
      await B.waitForFunction((n) => window.tandem.ytext.length >= n, base + i + 1, { polling: 'raf' });
    }
    await A.keyboard.press('Enter');
    const keys = await A.evaluate(() => window.__keys);
    const arrivals = await B.evaluate(() => window.__arrivals);
    const lat = keys.slice(0, KEYS).map((k, i) => arrivals[i] - k).filter((x) => Number.isFinite(x));
    const sorted = [...lat].sort((x, y) => x - y);
    results.measures.keystroke_latency_ms = {
      keys: lat.length,
      p50: +pct(sorted, 50).toFixed(2),
      p99: +pct(sorted, 99).toFixed(2),
      max: +sorted[sorted.length - 1].toFixed(2),
    };
    console.log(`# keystroke-to-remote latency over ${lat.length} keys: p50 ${results.measures.keystroke_latency_ms.p50} ms, p99 ${results.measures.keystroke_latency_ms.p99} ms`);
    midText = await docText(A);
  });

  await scenario('4a the replay at this moment (recorded for later)', async () => {
    // Wait until the recorded timeline has caught up with the live document.
    const R = await newPage();
    const deadline = Date.now() + T.step;
    for (;;) {
      await R.goto(`${baseUrl}/replay/${room}`);
      await R.waitForSelector('main.replay[data-total]');
      const total = Number(await R.locator('main.replay').getAttribute('data-total'));
      const shown = total ? await R.getByTestId('replay-code').textContent() : '';
      if (shown === midText) {
        midCount = total;
        break;
      }
      if (Date.now() > deadline) throw new Error('the timeline never caught up with the document');
      await R.waitForTimeout(250); // polling the recorder's flush; not a synchronisation sleep
    }
    await R.context().close();
  });

  await scenario('2 wrong then right Two Sum verdicts in both windows', async () => {
    await setCode(A, WRONG);
    await waitText(B, (t, w) => t === w, WRONG);
    await A.getByRole('button', { name: 'Run' }).click();
    await A.waitForSelector('button.run[aria-busy="true"]');
    await shot(A, '05-run-progress');
    for (const p of [A, B]) await p.waitForSelector('.verdict[data-status="WRONG_ANSWER"]', { timeout: T.run });
    for (const p of [A, B]) await p.locator('.counterexample').waitFor();
    await shot(A, '06-wrong-answer-alice');
    await shot(B, '07-wrong-answer-bob');

    await setCode(B, RIGHT);
    await waitText(A, (t, w) => t === w, RIGHT);
    await A.waitForSelector('button.run[aria-busy="false"]:not([disabled])');
    await A.locator('.monaco-editor .view-lines').click();
    await A.keyboard.press('Control+Enter');
    for (const p of [A, B]) await p.waitForSelector('.verdict[data-status="ACCEPTED"]', { timeout: T.run });
    for (const p of [A, B]) {
      const cls = await p.locator('.complexity figcaption').textContent();
      if (!/O\(/.test(cls)) throw new Error(`no complexity class shown: ${cls}`);
    }
    await shot(A, '08-accepted-alice');
    await B.setViewportSize({ width: 390, height: 844 });
    await shot(B, '09-accepted-bob-390px');
    await B.setViewportSize({ width: 1280, height: 800 });
  });

  await scenario('3 reload, a network drop and a server restart keep the document', async () => {
    const before = await docText(A);
    await B.reload();
    await editorReady(B);
    await waitText(B, (t, w) => t === w, before);

    // A network drop: say so, keep typing, catch up when back.
    await B.context().setOffline(true);
    await B.waitForSelector('[data-testid="conn"]:text("offline")');
    await shot(B, '10-offline-reconnecting');
    await B.evaluate(() => window.tandem.ytext.insert(window.tandem.ytext.length, '# typed offline\n'));
    await B.context().setOffline(false);
    await B.waitForSelector('main.room[data-status="online"][data-synced="true"]', { timeout: T.server });
    await waitText(A, (t) => t.endsWith('# typed offline\n'));
    const kept = await docText(A);

    if (!server) {
      console.log('# skip server restart: no TANDEM_SERVE');
      return;
    }
    // No page may hold the document while the server is down, or it would
    // upload it again on reconnect and hide a server that forgot it.
    for (const p of [A, B]) await p.evaluate(() => window.tandem.provider.disconnect());
    await stopServer();
    server = await startServer();
    if (server.url !== baseUrl) throw new Error(`the server came back at ${server.url}, not ${baseUrl}`);
    await A.reload();
    await editorReady(A);
    await waitText(A, (t, w) => t === w, kept);
    await B.reload();
    await editorReady(B);
    await waitText(B, (t, w) => t === w, kept);
    // Still live after the restart.
    await A.evaluate(() => window.tandem.ytext.insert(window.tandem.ytext.length, '# after restart\n'));
    await waitText(B, (t) => t.endsWith('# after restart\n'));
    await shot(A, '11-after-restart');
  });

  await scenario('4 the replay scrubbed to the middle shows the document as it was', async () => {
    const R = await newPage();
    await R.goto(`${baseUrl}/replay/${room}`);
    await R.waitForSelector('main.replay[data-total]');
    const total = Number(await R.locator('main.replay').getAttribute('data-total'));
    if (!(midCount > 0 && midCount < total)) throw new Error(`midpoint ${midCount} not inside 1..${total}`);
    await R.getByLabel('Replay position').fill(String(midCount));
    await R.waitForSelector(`main.replay[data-position="${midCount}"]`);
    const shown = await R.getByTestId('replay-code').textContent();
    if (shown !== midText) throw new Error('the replay at the midpoint differs from the document then');
    if (!(await R.locator('.marker-verdict').count())) throw new Error('no verdict markers');
    await shot(R, '12-replay-middle');
    await R.getByLabel('Replay position').fill(String(total));
    const end = await R.getByTestId('replay-code').textContent();
    if (end !== (await docText(A))) throw new Error('the replay at the end differs from the document now');
    await R.goto(`${baseUrl}/room/${room}/summary`);
    await R.locator('.summary-table').waitFor();
    await shot(R, '13-summary');
    await R.context().close();
  });

  await scenario('5 an observer can watch but not type', async () => {
    const O = await newPage({ colorScheme: 'dark' });
    await O.goto(invite);
    await O.getByLabel('Your name').fill('Olga');
    await O.getByLabel('Observer (watch only)').check();
    await O.getByRole('button', { name: 'Join room' }).click();
    await editorReady(O);
    const before = await docText(A);
    await waitText(O, (t, w) => t === w, before);
    await O.locator('.monaco-editor .view-lines').click();
    await O.keyboard.type('zzz');
    // Frames from one connection are handled in order: once Olga's chat has
    // reached Alice, any edit she had sent would have too.
    await O.getByLabel('Message').fill('watching');
    await O.getByLabel('Message').press('Enter');
    await A.locator('.chat-log').getByText('watching').waitFor();
    if ((await docText(O)).includes('zzz') || (await docText(A)).includes('zzz')) throw new Error('the observer could type');
    if (!(await O.getByRole('button', { name: /Run/ }).isDisabled())) throw new Error('the observer can press Run');
    // Watching: Alice's edits reach Olga.
    await A.evaluate(() => window.tandem.ytext.insert(0, '# watched\n'));
    await waitText(O, (t) => t.startsWith('# watched\n'));
    await shot(O, '14-observer-dark');
    await O.context().close();
  });

  await scenario('measure cold load: gzipped JS and time to editor ready', async () => {
    const creds = await A.evaluate((r) => localStorage.getItem(`tandem.room.${r}`), room);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await ctx.addInitScript(([r, c]) => localStorage.setItem(`tandem.room.${r}`, c), [room, creds]);
    const page = await ctx.newPage();
    const js = [];
    page.on('response', async (res) => {
      const url = res.url();
      if (/\.m?js(\?|$)/.test(url) && res.status() === 200) {
        try {
          js.push({ url, raw: (await res.body()).length, gz: zlib.gzipSync(await res.body(), { level: 9 }).length });
        } catch {
          /* body gone */
        }
      }
    });
    const t0 = Date.now();
    await page.goto(`${baseUrl}/room/${room}`);
    await editorReady(page);
    const wall = Date.now() - t0;
    const mark = await page.evaluate(() => performance.getEntriesByName('tandem-editor-ready')[0]?.startTime ?? null);
    await page.waitForLoadState('networkidle');
    results.measures.cold_load = {
      editor_ready_ms: mark == null ? null : Math.round(mark),
      editor_ready_and_synced_wall_ms: wall,
      js_files: js.length,
      js_bytes: js.reduce((s, f) => s + f.raw, 0),
      js_gzip_bytes: js.reduce((s, f) => s + f.gz, 0),
    };
    console.log(`# cold load: editor ready ${mark?.toFixed(0)} ms after navigation; JS ${js.length} files, ${results.measures.cold_load.js_gzip_bytes} bytes gzipped`);
    await ctx.close();
  });
}

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  if (!Object.values(results.scenarios).some((s) => s.ok === false)) console.log(`not ok - setup\n# ${e?.stack ?? e}`);
} finally {
  fs.writeFileSync(path.join(ARTIFACTS, 'results.json'), JSON.stringify(results, null, 2));
  await browser?.close().catch(() => {});
  await stopServer();
}
process.exit(failed ? 1 : 0);
