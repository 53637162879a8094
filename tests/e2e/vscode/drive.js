'use strict';
// Drives a real VS Code (code-server) in headless Chromium through one
// scenario and prints what the UI showed as one JSON line on stdout; the
// assertions are made by tests/test_e2e_vscode.py. Screenshots go to
// config.artifacts. Usage: node drive.js CONFIG.json
//
// Scenarios:
//   f5          F5 on a workspace launch.json: the stopped view, then
//               Continue (refused), then Stop.
//   openCore    "Go Core Dump: Open Core File…" from the command palette:
//               the core typed into the file dialog, the executable picked
//               from the proposals, the stopped view, Stop.
//   adapterDies F5 where the adapter process dies at once: the Debug
//               Console shows its stderr and exit code, the session ends.
//   exprs       F5, then the frame config.frame clicked in CALL STACK, each of
//               config.exprs typed into the Debug Console's input (what the
//               console shows for each), config.watch added in WATCH, Stop.
//   goroutines  F5, then the Goroutines view (Run and Debug): its group rows
//               read, the group whose label holds config.group expanded, its
//               "… N more" row clicked, "Goroutine config.goroutine" clicked;
//               CALL STACK and the editor after it, Stop.
//   f5time      (benchmarks/bench_vscode.py) F5, the stopped view, then with
//               config.explore: CALL STACK scrolled to its end, a thread
//               there expanded, Stop; timed, nothing asserted.
//
// The f5 and f5time scenarios also stamp, in the page, the first moment
// each part of the stopped view shows (`ui: …` steps, see milestones()).
const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const t0 = Date.now();
const result = { scenario: config.scenario, t0, steps: [], toastsSeen: [], dialogsSeen: [] };

/** A step of the log: `at` is when it happened (Date.now(); default: now). */
function note(step, extra = {}, at = Date.now()) {
  const entry = { step, ms: at - t0, ...extra };
  result.steps.push(entry);
  process.stderr.write(`[drive ${(entry.ms / 1000).toFixed(1)}s] ${step}\n`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------ reading the UI

/** Everything the assertions look at, read in the page. */
function snapshot() {
  const visible = (el) => {
    if (!el) return false;
    const r = el.getBoundingClientRect();
    const st = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && st.visibility !== 'hidden' && st.display !== 'none';
  };
  const rows = (sel) => [...document.querySelectorAll(sel)].filter(visible).map((r) => ({
    label: r.getAttribute('aria-label') || '',
    text: r.innerText.replace(/\s+/g, ' ').trim(),
    selected: r.classList.contains('selected') || r.getAttribute('aria-selected') === 'true',
    focused: r.classList.contains('focused'),
    expanded: r.getAttribute('aria-expanded'),
    kind: r.querySelector('.thread') ? 'thread' : r.querySelector('.stack-frame') ? 'frame'
      : r.querySelector('.session') ? 'session' : 'other',
  }));
  // the line numbers carrying the stopped-line decorations
  const decorated = (cls) => {
    const lines = [];
    for (const editor of document.querySelectorAll('.monaco-editor')) {
      if (!visible(editor)) continue;
      for (const d of editor.querySelectorAll(`.view-overlays .${cls}`)) {
        const top = d.parentElement && d.parentElement.style.top;
        for (const m of editor.querySelectorAll('.margin-view-overlays > div')) {
          if (m.style.top === top) {
            const n = m.querySelector('.line-numbers');
            if (n) lines.push(Number(n.textContent.trim()));
          }
        }
      }
    }
    return lines;
  };
  const status = [...document.querySelectorAll('.statusbar-item')].map((s) => s.innerText.trim())
    .find((s) => /^Ln \d+, Col \d+/.test(s));
  const activeTab = document.querySelector('.tabs-container .tab.active');
  const exc = document.querySelector('.exception-widget');
  const quickInput = document.querySelector('.quick-input-widget');
  const toolbar = document.querySelector('.debug-toolbar');
  return {
    topLines: decorated('debug-top-stack-frame-line'),
    focusedLines: decorated('debug-focused-stack-frame-line'),
    statusLine: status ? Number(/^Ln (\d+)/.exec(status)[1]) : null,
    activeTab: activeTab ? activeTab.getAttribute('aria-label') || activeTab.innerText : null,
    exception: exc && visible(exc) ? exc.innerText.trim() : null,
    callStack: rows('.debug-call-stack .monaco-list-row'),
    variables: rows('.debug-variables .monaco-list-row'),
    repl: rows('.repl .monaco-list-row').map((r) => r.text),
    toasts: [...document.querySelectorAll('.notifications-toasts .notification-toast')]
      .filter(visible).map((t) => t.innerText.replace(/\s+/g, ' ').trim()),
    dialogs: [...document.querySelectorAll('.monaco-dialog-box')].filter(visible)
      .map((d) => d.innerText.replace(/\s+/g, ' ').trim()),
    debugToolbar: Boolean(toolbar && visible(toolbar)),
    quickInput: quickInput && visible(quickInput) ? {
      title: (quickInput.querySelector('.quick-input-title') || {}).innerText || '',
      placeholder: (quickInput.querySelector('.quick-input-box input') || {}).placeholder || '',
      value: (quickInput.querySelector('.quick-input-box input') || {}).value || '',
      rows: [...quickInput.querySelectorAll('.quick-input-list .monaco-list-row')].filter(visible)
        .map((r) => (r.getAttribute('aria-label') || r.innerText).replace(/\s+/g, ' ').trim()),
    } : null,
  };
}

async function look(page) {
  const s = await page.evaluate(snapshot);
  for (const t of s.toasts) if (!result.toastsSeen.includes(t)) result.toastsSeen.push(t);
  for (const d of s.dialogs) if (!result.dialogsSeen.includes(d)) result.dialogsSeen.push(d);
  return s;
}

/** Focus the Debug Console (Ctrl+Shift+Y) and wait for its input. */
async function openDebugConsole(page) {
  await clickEditorArea(page);
  await page.keyboard.down('Control');
  await page.keyboard.down('Shift');
  await page.keyboard.press('KeyY');
  await page.keyboard.up('Shift');
  await page.keyboard.up('Control');
  await page.waitForSelector('.repl .repl-input-wrapper .monaco-editor', { visible: true, timeout: 15000 });
}

/** Polls `snap(page)` until `pred(snapshot)` holds; returns the snapshot,
 *  or throws after `ms` with the last one. `between(page)` runs before each
 *  new look (e.g. a scroll). */
async function pollUntil(page, what, snap, pred, ms, between = null) {
  const end = Date.now() + ms;
  for (;;) {
    const s = await snap(page);
    if (pred(s)) return s;
    if (Date.now() > end) {
      const err = new Error(`timed out after ${ms} ms waiting for ${what}`);
      err.snapshot = s;
      throw err;
    }
    if (between) await between(page);
    await sleep(200);
  }
}

/** Polls the UI (`look`) until `pred(snapshot)` holds. */
async function until(page, what, pred, ms) {
  return pollUntil(page, what, look, pred, ms);
}

/** Every row of the CALL STACK: the list is virtual (only the rows in view
 *  exist), so scroll it with the mouse wheel and collect. */
async function scanCallStack(page) {
  const box = await page.evaluate(() => {
    const el = document.querySelector('.debug-call-stack .monaco-list');
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + Math.min(r.height / 2, 40) };
  });
  if (!box) return [];
  await page.mouse.move(box.x, box.y);
  const seen = new Map();
  const keyOf = (r) => `${r.kind}|${r.label}`;
  for (let i = 0; i < 10; i++) await page.mouse.wheel({ deltaY: -2000 });
  await sleep(100);
  let stale = 0;
  for (let i = 0; i < 400 && stale < 4; i++) {
    const s = await page.evaluate(snapshot);
    let fresh = 0;
    for (const r of s.callStack) {
      if (!seen.has(keyOf(r))) {
        seen.set(keyOf(r), r);
        fresh += 1;
      }
    }
    stale = fresh ? 0 : stale + 1;
    await page.mouse.wheel({ deltaY: 120 });
    await sleep(60);
  }
  for (let i = 0; i < 10; i++) await page.mouse.wheel({ deltaY: -2000 });
  return [...seen.values()];
}

// ------------------------------------------------------------ milestones

/** Installed in the page before F5: every 20 ms, stamps (Date.now(), the
 *  clock drive.js notes with) the first moment each part of the stopped
 *  view shows, and keeps the main thread's long tasks (a frozen UI). A
 *  check that runs late because the page is busy stamps late: that is what
 *  the user sees too. */
function watchMilestones() {
  const m = { stamps: {}, longTasks: [], callStackRows: 0 };
  window.__dapcoreMilestones = m;
  const shown = (el) => {
    if (!el) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const stamp = (key) => {
    if (!(key in m.stamps)) m.stamps[key] = Date.now();
  };
  const rows = (sel) => [...document.querySelectorAll(sel)].filter(shown);
  const bar = () => {
    const el = document.querySelector('.part.statusbar');
    return el ? getComputedStyle(el).backgroundColor : null;
  };
  const idleBar = bar(); // the status bar takes the debugging colour as a session starts
  const tick = () => {
    if (bar() !== idleBar) stamp('session started');
    if (shown(document.querySelector('.debug-toolbar'))) stamp('debug toolbar');
    const stack = rows('.debug-call-stack .monaco-list-row');
    if (stack.some((r) => r.querySelector('.thread'))) stamp('threads listed');
    if (stack.some((r) => /paused/i.test(r.innerText))) stamp('paused (stopped event)');
    for (const e of document.querySelectorAll('.monaco-editor')) {
      if (shown(e) && e.querySelector('.debug-top-stack-frame-line, .debug-focused-stack-frame-line')) {
        stamp('stopped line');
      }
    }
    if (shown(document.querySelector('.exception-widget'))) stamp('exception widget');
    if (stack.some((r) => r.querySelector('.stack-frame')
      && (r.classList.contains('selected') || r.getAttribute('aria-selected') === 'true'))) {
      stamp('call stack shown');
    }
    if (rows('.debug-variables .monaco-list-row')
      .some((r) => r.innerText.replace(/\s+/g, ' ').includes(' = '))) {
      stamp('locals shown');
    }
    // the virtual list's full height, in rows
    const list = document.querySelector('.debug-call-stack .monaco-list-rows');
    const row = stack[0];
    if (list && row && row.offsetHeight) {
      const n = Math.round(list.offsetHeight / row.offsetHeight);
      if (n > m.callStackRows) {
        m.callStackRows = n;
        m.callStackRowsAt = Date.now();
      }
    }
  };
  m.timer = setInterval(tick, 20);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        m.longTasks.push({ at: Math.round(performance.timeOrigin + e.startTime),
          ms: Math.round(e.duration) });
      }
    }).observe({ type: 'longtask', buffered: false });
  } catch (_err) {
    m.longTasks = null; // not offered by this browser
  }
}

/** The stamps so far, noted as `ui: …` steps in the order they happened. */
async function noteMilestones(page) {
  const m = await page.evaluate(() => {
    const w = window.__dapcoreMilestones;
    if (!w) return null;
    clearInterval(w.timer);
    return { stamps: w.stamps, longTasks: w.longTasks, callStackRows: w.callStackRows,
      callStackRowsAt: w.callStackRowsAt };
  });
  if (!m) return;
  for (const [key, at] of Object.entries(m.stamps).sort((a, b) => a[1] - b[1])) {
    note(`ui: ${key}`, {}, at);
  }
  result.longTasks = m.longTasks && m.longTasks.map((t) => ({ ms: t.ms, at: t.at - t0 }));
  result.callStackRows = m.callStackRows;
  if (m.callStackRowsAt) result.callStackRowsMs = m.callStackRowsAt - t0;
}

async function shot(page, name) {
  const file = path.join(config.artifacts, `${config.scenario}-${name}.png`);
  await page.screenshot({ path: file });
  result.screenshots = [...(result.screenshots || []), file];
}

async function clickEditorArea(page) {
  const box = await page.evaluate(() => {
    const el = document.querySelector('.part.editor');
    const r = el.getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
  });
  await page.mouse.click(box.x, box.y);
}

// ------------------------------------------------------------ scenarios

async function waitStopped(page, ms = 60000) {
  const stopped = await until(page, 'the stopped line (debug-top-stack-frame-line)',
    (s) => s.topLines.length > 0 || s.focusedLines.length > 0, ms);
  note('stopped', { topLines: stopped.topLines, focusedLines: stopped.focusedLines });
  // the views fill in after the editor: a selected frame and the locals
  const filled = await until(page, 'CALL STACK and VARIABLES to fill in',
    (s) => s.callStack.some((r) => r.kind === 'frame' && r.selected) && s.variables.length > 0 &&
      s.statusLine !== null && s.exception !== null, config.filledTimeout || 20000)
    .catch((err) => err.snapshot);
  await sleep(500); // late toasts (an error to an early request) show up by now
  const s = await look(page);
  note('views filled', { ok: Boolean(filled) });
  await noteMilestones(page);
  return s;
}

async function stoppedView(page) {
  const s = await waitStopped(page);
  result.stopped = s;
  result.callStackAll = await scanCallStack(page);
  note('call stack scanned', { rows: result.callStackAll.length });
  await shot(page, 'stopped');
}

async function stop(page) {
  await clickEditorArea(page);
  await page.keyboard.down('Shift');
  await page.keyboard.press('F5');
  await page.keyboard.up('Shift');
  note('Shift+F5');
  try {
    result.afterStop = await until(page, 'the session to end (debug toolbar gone, no stopped line)',
      (s) => !s.debugToolbar && s.topLines.length === 0 && s.focusedLines.length === 0, 20000);
    note('session ended');
  } catch (err) {
    result.afterStop = err.snapshot;
    result.stopError = err.message;
  }
  await shot(page, 'ended');
}

/** F5 until a session starts: a key pressed while the workbench is still
 *  connecting its extension host is dropped. */
async function startDebugging(page) {
  await page.evaluate(watchMilestones);
  for (let attempt = 1; ; attempt++) {
    await clickEditorArea(page);
    await page.keyboard.press('F5');
    note('F5', { attempt });
    try {
      await until(page, 'a debug session to start',
        (s) => s.debugToolbar || s.topLines.length > 0 || s.toasts.length > 0 || s.dialogs.length > 0 ||
          s.repl.length > 0, 5000);
      return;
    } catch (err) {
      if (attempt >= 4) throw err;
    }
  }
}

async function scenarioF5(page) {
  await startDebugging(page);
  await stoppedView(page);
  // Continue: refused, still stopped
  result.toastsBeforeContinue = [...result.toastsSeen];
  result.dialogsBeforeContinue = [...result.dialogsSeen];
  await clickEditorArea(page);
  await page.keyboard.press('F5');
  note('F5 (continue)');
  await sleep(3000);
  result.afterContinue = await look(page);
  note('after continue', { toasts: result.afterContinue.toasts });
  await shot(page, 'continue');
  await stop(page);
}

/** The list's rows in view, as CALL STACK shows them. */
function callStackRows() {
  return [...document.querySelectorAll('.debug-call-stack .monaco-list-row')]
    .filter((r) => r.getBoundingClientRect().height > 0)
    .map((r) => ({ text: r.innerText.replace(/\s+/g, ' ').trim(),
      thread: Boolean(r.querySelector('.thread')), frame: Boolean(r.querySelector('.stack-frame')),
      expanded: r.getAttribute('aria-expanded') }));
}

/** How long a click takes to show (the next frame painted after it): the
 *  UI's responsiveness, in ms. */
async function paintDelay(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const start = performance.now();
    requestAnimationFrame(() => setTimeout(() => resolve(Math.round(performance.now() - start)), 0));
  }));
}

/** F5 and the stopped view, timed (benchmarks/bench_vscode.py). With
 *  config.explore: CALL STACK is scrolled to its end (End in the list), the
 *  last thread expanded (its frames asked for), screenshots of each. */
async function scenarioF5Time(page) {
  await startDebugging(page);
  result.stopped = await waitStopped(page, config.stoppedTimeout || 120000);
  await shot(page, 'stopped');
  result.paintMs = await paintDelay(page);
  if (config.explore) {
    const box = await page.evaluate(() => {
      const el = document.querySelector('.debug-call-stack .monaco-list-row .thread');
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return { x: r.x + 40, y: r.y + r.height / 2 };
    });
    // the list's full height, in rows (the list is virtual)
    const total = () => page.evaluate(() => {
      const list = document.querySelector('.debug-call-stack .monaco-list-rows');
      const row = document.querySelector('.debug-call-stack .monaco-list-row');
      return list && row && row.offsetHeight ? Math.round(list.offsetHeight / row.offsetHeight) : 0;
    });
    if (box) {
      await page.mouse.click(box.x, box.y); // selects the crashed thread's row
      await sleep(300);
      const before = Date.now();
      await page.keyboard.press('End');
      let rows = [];
      for (let i = 0; i < 100; i++) {
        rows = await page.evaluate(callStackRows);
        if (rows.length && (!rows.some((r) => /⚡ crashed/.test(r.text))
          || rows.length >= await total())) break;
        await sleep(50);
      }
      note('call stack: End', { ms_to_show: Date.now() - before, lastRows: rows.slice(-3) });
      await shot(page, 'callstack-end');
      // the frames appear below the last row, out of view: the list's
      // full height (in rows) says when they are there
      const rowsBefore = await total();
      const before2 = Date.now();
      await page.keyboard.press('ArrowRight'); // expands the last thread
      let rowsAfter = rowsBefore;
      for (let i = 0; i < 1200 && rowsAfter <= rowsBefore; i++) {
        await sleep(50);
        rowsAfter = await total();
      }
      const shownAfter = Date.now() - before2;
      await page.keyboard.press('End');
      await sleep(300);
      rows = await page.evaluate(callStackRows);
      note('call stack: last thread expanded', { ms_to_show: shownAfter, rowsBefore, rowsAfter,
        lastRows: rows.slice(-4) });
      await shot(page, 'callstack-expanded');
      await page.keyboard.press('Home');
      await sleep(500);
    }
    if (config.consoleGoroutine) {
      // `goroutine N` typed in the Debug Console: N shown and selected in CALL STACK
      const want = `[Go ${config.consoleGoroutine}]`;
      await openDebugConsole(page);
      const before = Date.now();
      const answer = await typeInConsole(page, `goroutine ${config.consoleGoroutine}`);
      let selected = null;
      try {
        // a frame selected below the thread row of N (its stack, expanded)
        const s = await until(page, `a frame of ${want} selected in CALL STACK`, (x) => {
          const at = x.callStack.findIndex((r) => r.kind === 'thread' && r.text.includes(want));
          return at >= 0 && x.callStack.some((r, i) => i > at && r.kind === 'frame' && r.selected);
        }, 30000);
        selected = s.callStack.filter((r) => r.selected).map((r) => r.text);
      } catch (err) {
        result.consoleGoroutineError = err.message;
      }
      note('console: goroutine N', { ms_to_show: Date.now() - before, answer: answer.rows.map((r) => r.text),
        selected, rows: await total() });
      await shot(page, 'console-goroutine');
    }
  }
  result.afterStopped = await look(page);
  await stop(page);
}

async function scenarioOpenCore(page) {
  // The palette lists the extension's command once the extension host has
  // read the contributions; on a loaded machine that can take a while:
  // close the palette and open it again until the command is there.
  for (let attempt = 1; ; attempt++) {
    await clickEditorArea(page);
    await page.keyboard.press('F1');
    await until(page, 'the command palette', (s) => s.quickInput !== null, 10000);
    await page.keyboard.type('Go Core Dump: Open Core File');
    try {
      await until(page, 'the command in the palette', (s) => s.quickInput
        && s.quickInput.rows.some((r) => /Go Core Dump: Open Core File/.test(r)), 15000);
      break;
    } catch (err) {
      if (attempt === 3) throw err;
      note('command not listed yet', { attempt });
      await page.keyboard.press('Escape');
      await sleep(2000);
    }
  }
  await page.keyboard.press('Enter');
  note('command run');
  // VS Code's own file dialog (a quick input with a path box)
  const dialog = await until(page, 'the file dialog for the core',
    (s) => s.quickInput && /core file/i.test(s.quickInput.title), 20000);
  result.coreDialog = dialog.quickInput;
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.type(config.corePath);
  await sleep(1000);
  await shot(page, 'core-dialog');
  // The dialog refreshes its list as the path is typed; an Enter that lands
  // during a refresh is dropped. Press it again until the dialog moves on.
  const proposals = (s) => s.quickInput && /executable/i.test(s.quickInput.title)
    && s.quickInput.rows.length > 0;
  let pick = null;
  for (let attempt = 1; attempt <= 5 && !pick; attempt++) {
    await page.keyboard.press('Enter');
    note('core typed', { attempt });
    try {
      pick = await until(page, 'the executable proposals', proposals, attempt < 5 ? 4000 : 20000);
    } catch (err) {
      if (attempt === 5) throw err;
      const s = await look(page);
      if (!(s.quickInput && /core file/i.test(s.quickInput.title))) throw err;
      if (s.quickInput.value !== config.corePath) {
        await page.keyboard.down('Control');
        await page.keyboard.press('KeyA');
        await page.keyboard.up('Control');
        await page.keyboard.type(config.corePath);
      }
      await sleep(500);
    }
  }
  result.executablePick = pick.quickInput;
  note('executables proposed', { rows: pick.quickInput.rows });
  await shot(page, 'pick-executable');
  await page.keyboard.press('Enter');
  await stoppedView(page);
  await stop(page);
}

async function scenarioAdapterDies(page) {
  await startDebugging(page);
  try {
    result.afterDeath = await until(page, 'the adapter\'s exit in the Debug Console and the session ended',
      (s) => s.repl.some((r) => /exited with code/.test(r)) && !s.debugToolbar, 30000);
  } catch (err) {
    result.afterDeath = err.snapshot;
    result.deathError = err.message;
  }
  await sleep(1000);
  result.afterDeath = await look(page);
  note('after death');
  await shot(page, 'adapter-died');
}

/** The Debug Console's rows and the WATCH view's, as the user reads them. */
function consoleRows() {
  const visible = (el) => {
    if (!el) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const read = (sel) => [...document.querySelectorAll(sel)].filter(visible)
    .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
    .map((r) => ({
      text: r.innerText.replace(/\s+/g, ' ').trim(),
      label: r.getAttribute('aria-label') || '',
      expanded: r.getAttribute('aria-expanded'),
      error: Boolean(r.querySelector('.error')), // shown as an error (red)
    }));
  return { repl: read('.repl .monaco-list-row'), watch: read('.debug-watch .monaco-list-row') };
}

/** Clicks the visible element matching `sel` whose text contains `text`. */
async function clickRow(page, sel, text) {
  const box = await page.evaluate((sel, text) => {
    for (const el of document.querySelectorAll(sel)) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && el.innerText.includes(text)) {
        return { x: r.x + Math.min(r.width / 2, 80), y: r.y + r.height / 2 };
      }
    }
    return null;
  }, sel, text);
  if (!box) throw new Error(`no ${sel} showing ${text}`);
  await page.mouse.click(box.x, box.y);
}

/** Types an expression into the Debug Console's input and presses Enter;
 *  returns the rows the console added for it (the echo, then the answer). */
async function typeInConsole(page, expr) {
  const before = (await page.evaluate(consoleRows)).repl.length;
  const input = await page.evaluate(() => {
    const el = document.querySelector('.repl .repl-input-wrapper .monaco-editor .view-lines');
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return { x: r.x + 20, y: r.y + r.height / 2 };
  });
  if (!input) throw new Error('no Debug Console input');
  await page.mouse.click(input.x, input.y);
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  // sendCharacter inserts the text as it is (no auto-closed brackets or quotes)
  await page.keyboard.sendCharacter(expr);
  // The editor renders what was inserted a moment later (long under load):
  // wait until it shows the text before pressing Enter.
  const inputText = () => page.evaluate(() => {
    const el = document.querySelector('.repl .repl-input-wrapper .monaco-editor .view-lines');
    return el ? el.innerText.replace(/\u00a0/g, ' ') : null;
  });
  let typed = await inputText();
  for (let waited = 0; typed !== expr && waited < 5000; waited += 100) {
    await sleep(100);
    typed = await inputText();
  }
  await page.keyboard.press('Enter');
  let rows = [];
  const end = Date.now() + 15000;
  for (;;) {
    const all = (await page.evaluate(consoleRows)).repl;
    const at = all.map((r) => r.text).lastIndexOf(expr);
    rows = at >= 0 ? all.slice(at) : [];
    if (rows.length >= 2 && all.length > before) break;
    if (Date.now() > end) {
      const err = new Error(`the Debug Console did not answer ${expr}`);
      err.snapshot = { typed, repl: all };
      throw err;
    }
    await sleep(150);
  }
  await sleep(400); // a late row (an expandable value's twistie) and toasts
  const all = (await page.evaluate(consoleRows)).repl;
  const at = all.map((r) => r.text).lastIndexOf(expr);
  const s = await look(page);
  return { expr, typed, rows: at >= 0 ? all.slice(at) : rows, toasts: s.toasts };
}

/** "Add Expression" in the WATCH view, the expression typed, Enter. */
async function addWatch(page, expr) {
  // the WATCH section's header: expand it if it is collapsed
  const header = await page.evaluate(() => {
    for (const h of document.querySelectorAll('.pane-header')) {
      if (/^\s*watch\b/i.test(h.innerText)) {
        return { expanded: h.getAttribute('aria-expanded'), text: h.innerText };
      }
    }
    return null;
  });
  if (!header) throw new Error('no WATCH section');
  if (header.expanded !== 'true') {
    await clickRow(page, '.pane-header', 'WATCH');
    await sleep(500);
  }
  const clicked = await page.evaluate(() => {
    for (const h of document.querySelectorAll('.pane-header')) {
      if (!/^\s*watch\b/i.test(h.innerText)) continue;
      const add = [...h.querySelectorAll('.action-label')].find((a) =>
        /add expression/i.test(a.getAttribute('aria-label') || a.title || ''));
      if (add) {
        add.click();
        return true;
      }
    }
    return false;
  });
  if (!clicked) throw new Error('no "Add Expression" action in WATCH');
  await sleep(500); // the watch's input box opens
  await page.keyboard.sendCharacter(expr);
  await page.keyboard.press('Enter');
  const end = Date.now() + 15000;
  for (;;) {
    const rows = (await page.evaluate(consoleRows)).watch;
    const row = rows.find((r) => r.text.startsWith(`${expr} =`) || r.text.startsWith(`${expr}:`));
    if (row && !/\.\.\.$/.test(row.text)) {
      await sleep(400);
      return { expr, rows: (await page.evaluate(consoleRows)).watch, toasts: (await look(page)).toasts };
    }
    if (Date.now() > end) {
      const err = new Error(`WATCH did not show ${expr}`);
      err.snapshot = { watch: rows };
      throw err;
    }
    await sleep(150);
  }
}

async function scenarioExprs(page) {
  await startDebugging(page);
  result.stopped = await waitStopped(page);
  await shot(page, 'stopped');
  result.toastsBeforeExprs = [...result.toastsSeen];
  // the user picks the frame in CALL STACK
  await clickRow(page, '.debug-call-stack .monaco-list-row', config.frame);
  // (the line itself may sit under the editor's sticky scroll header: the
  // cursor's line in the status bar is what says where the editor went)
  result.frameChosen = await until(page, `the editor on ${config.frame}'s line, its locals`,
    (s) => s.statusLine === config.frameLine && s.callStack.some((r) => r.kind === 'frame'
      && r.selected && r.text.includes(config.frame))
      // a variable's row, not only the scope headers (Locals loads after them)
      && s.variables.some((v) => v.text.includes(' = ')), 15000);
  note('frame chosen', { statusLine: result.frameChosen.statusLine });
  // the Debug Console (Ctrl+Shift+Y focuses it)
  await openDebugConsole(page);
  result.console = [];
  for (const expr of config.exprs) {
    const answer = await typeInConsole(page, expr);
    result.console.push(answer);
    note('typed', { expr, rows: answer.rows.map((r) => r.text) });
  }
  await shot(page, 'console');
  result.consoleAll = (await page.evaluate(consoleRows)).repl;
  if (config.watch) {
    try {
      result.watch = await addWatch(page, config.watch);
      note('watch', { rows: result.watch.rows.map((r) => r.text) });
    } catch (err) {
      result.watchError = err.message;
      result.watch = err.snapshot || null;
    }
    await shot(page, 'watch');
  }
  result.toastsAfterExprs = (await look(page)).toasts;
  await stop(page);
}

// ------------------------------------------------------------ the Goroutines view

/** The rows of the Goroutines view (a custom tree in Run and Debug). */
function goroutineRows() {
  const pane = [...document.querySelectorAll('.pane')].find((p) => {
    const h = p.querySelector('.pane-header');
    return h && /^\s*goroutines\b/i.test(h.innerText);
  });
  if (!pane) return null;
  const header = pane.querySelector('.pane-header');
  const rows = [...pane.querySelectorAll('.monaco-list-row')]
    .filter((r) => r.getBoundingClientRect().height > 0)
    .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
    .map((r) => ({ text: r.innerText.replace(/\s+/g, ' ').trim(),
      label: (r.querySelector('.label-name') || r).innerText.replace(/\s+/g, ' ').trim(),
      expanded: r.getAttribute('aria-expanded'), level: r.getAttribute('aria-level') }));
  const message = pane.querySelector('.message');
  return { expanded: header.getAttribute('aria-expanded'), rows,
    message: message ? message.innerText.trim() : '' };
}

async function untilRows(page, what, pred, ms) {
  return pollUntil(page, what, (p) => p.evaluate(goroutineRows), (g) => g && pred(g), ms);
}

/** Clicks the Goroutines view's row whose label starts with `text`; a row
 *  under the tree's sticky header (its expanded parent, pinned at the top)
 *  is scrolled out from under it first. */
async function clickGoroutineRow(page, text) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const at = await page.evaluate((text) => {
      const pane = [...document.querySelectorAll('.pane')].find((p) => {
        const h = p.querySelector('.pane-header');
        return h && /^\s*goroutines\b/i.test(h.innerText);
      });
      const list = pane && pane.querySelector('.monaco-list');
      for (const r of list ? list.querySelectorAll('.monaco-list-row') : []) {
        const b = r.getBoundingClientRect();
        const label = (r.querySelector('.label-name') || r).innerText.replace(/\s+/g, ' ').trim();
        if (b.height > 0 && label.startsWith(text)) {
          const x = b.x + Math.min(b.width / 2, 120);
          const y = b.y + b.height / 2;
          const hit = document.elementFromPoint(x, y);
          const l = list.getBoundingClientRect();
          return { x, y, free: Boolean(hit && r.contains(hit)), above: y < l.y + l.height / 2,
            lx: l.x + l.width / 2, ly: l.y + l.height / 2 };
        }
      }
      return null;
    }, text);
    if (!at) throw new Error(`no row "${text}" in the Goroutines view`);
    if (at.free) {
      await page.mouse.click(at.x, at.y);
      return;
    }
    await page.mouse.move(at.lx, at.ly);
    await page.mouse.wheel({ deltaY: at.above ? -60 : 60 });
    await sleep(200);
  }
  throw new Error(`the row "${text}" stays covered in the Goroutines view`);
}

/** Scrolls the Goroutines view's list (a virtual list: only the rows in
 *  view exist) down until `pred(rows)` holds. */
async function scrollGoroutinesUntil(page, what, pred, ms = 30000) {
  return pollUntil(page, what, (p) => p.evaluate(goroutineRows), (g) => g && pred(g), ms,
    async (p) => {
      const box = await p.evaluate(() => {
        const pane = [...document.querySelectorAll('.pane')].find((q) =>
          /^\s*goroutines\b/i.test((q.querySelector('.pane-header') || {}).innerText || ''));
        const list = pane && pane.querySelector('.monaco-list');
        if (!list) return null;
        const r = list.getBoundingClientRect();
        return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
      });
      if (box) {
        await p.mouse.move(box.x, box.y);
        await p.mouse.wheel({ deltaY: 300 });
      }
    });
}

/** Collapses the Run and Debug section `name` (room for the others). */
async function collapseSection(page, name) {
  const box = await page.evaluate((name) => {
    for (const h of document.querySelectorAll('.pane-header')) {
      const title = h.querySelector('.title');
      if (title && title.innerText.trim().toUpperCase() === name
        && h.getAttribute('aria-expanded') === 'true') {
        const r = title.getBoundingClientRect();
        return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
      }
    }
    return null;
  }, name);
  if (box) await page.mouse.click(box.x, box.y);
}

async function scenarioGoroutines(page) {
  await startDebugging(page);
  result.stopped = await waitStopped(page, 120000);
  // the view's section in Run and Debug: expanded if collapsed
  let g = await untilRows(page, 'the Goroutines section', () => true, 20000);
  if (g.expanded !== 'true') {
    const box = await page.evaluate(() => {
      for (const h of document.querySelectorAll('.pane-header')) {
        const title = h.querySelector('.title');
        if (title && title.innerText.trim().toUpperCase() === 'GOROUTINES') {
          const r = title.getBoundingClientRect();
          return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
        }
      }
      return null;
    });
    if (box) await page.mouse.click(box.x, box.y);
    note('Goroutines section expanded');
  }
  await collapseSection(page, 'VARIABLES');
  await collapseSection(page, 'WATCH');
  g = await untilRows(page, 'group rows in the Goroutines view',
    (x) => x.rows.filter((r) => r.expanded !== null).length >= config.groupsShown, 60000);
  result.groupRows = g.rows;
  note('groups shown', { rows: g.rows.length });
  await shot(page, 'groups');
  await clickGoroutineRow(page, config.group);
  g = await untilRows(page, 'the group\'s first goroutines',
    (x) => x.rows.some((r) => r.label.startsWith('Goroutine ')), 30000);
  result.firstGoroutineRows = g.rows;
  const moreRow = (x) => x.rows.some((r) => /^… [\d,]+ more/.test(r.label));
  g = await scrollGoroutinesUntil(page, 'the group\'s goroutines and its "… more" row', moreRow);
  result.expandedRows = g.rows;
  note('group expanded', { rows: g.rows.length });
  const more = g.rows.find((r) => /^… [\d,]+ more/.test(r.label));
  result.moreRow = more.label;
  await clickGoroutineRow(page, more.label);
  // the rest of the group: the last goroutine's row (scrolled into view)
  const want = `Goroutine ${config.goroutine}`;
  g = await scrollGoroutinesUntil(page, `the row "${want}" after "… more"`,
    (x) => x.rows.some((r) => r.label === want));
  result.afterMore = g.rows;
  note('more loaded');
  await clickGoroutineRow(page, want);
  note('goroutine clicked', { goroutine: config.goroutine });
  const thread = `[Go ${config.goroutine}]`;
  try {
    result.focused = await until(page, `${thread} with a selected frame in CALL STACK, the editor on line ${config.line}`, (s) => {
      const at = s.callStack.findIndex((r) => r.kind === 'thread' && (r.text + r.label).includes(thread));
      return at >= 0 && s.callStack.some((r, i) => i > at && r.kind === 'frame' && r.selected)
        && s.statusLine === config.line;
    }, 30000);
  } catch (err) {
    result.focused = err.snapshot;
    result.focusError = err.message;
  }
  note('focused', { statusLine: result.focused && result.focused.statusLine });
  await shot(page, 'focused');
  await stop(page);
}

// ------------------------------------------------------------ main

async function main() {
  fs.mkdirSync(config.artifacts, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: config.chromium,
    headless: 'new',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--window-size=1600,1200'],
    defaultViewport: { width: 1600, height: 1200 },
    userDataDir: config.browserProfile,
  });
  let page;
  try {
    page = await browser.newPage();
    page.on('pageerror', (err) => process.stderr.write(`[page error] ${err.message}\n`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warn') {
        process.stderr.write(`[console ${msg.type()} ${((Date.now() - t0) / 1000).toFixed(1)}s] ` +
          `${msg.text().slice(0, 2000)}\n`);
      }
    });
    await page.goto(config.url, { waitUntil: 'domcontentloaded', timeout: 60000 });
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    // the workbench restores its parts a moment after it appears
    await page.waitForSelector('.part.editor', { timeout: 30000 });
    await sleep(1500);
    note('workbench');
    const run = { f5: scenarioF5, openCore: scenarioOpenCore, adapterDies: scenarioAdapterDies,
      exprs: scenarioExprs, f5time: scenarioF5Time, goroutines: scenarioGoroutines }[config.scenario];
    await run(page);
  } catch (err) {
    result.error = `${err.message}`;
    if (err.snapshot) result.lastSnapshot = err.snapshot;
    if (page) await shot(page, 'error').catch(() => {});
  } finally {
    await browser.close().catch(() => {});
  }
  result.ms = Date.now() - t0;
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ ...result, error: `driver: ${err.stack || err}` }) + '\n');
  process.exitCode = 1;
});
