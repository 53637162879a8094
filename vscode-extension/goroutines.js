'use strict';
// The Goroutines view (Run and Debug side bar): dapcore's goroutine groups
// (goroutines with the same stack and state) of the active gocore session,
// from the `dapcore/goroutineGroups` custom request. Groups → goroutines
// (loaded when a group is expanded, GOROUTINE_PAGE at a time); selecting a
// goroutine shows it in CALL STACK and the editor at its top user frame.
//
// Focusing a thread from an extension: VS Code 1.100's API has no setter
// for the focused thread or frame (`vscode.debug.activeStackItem` is read
// only) and no command that takes a thread id. What does focus one is a
// `stopped` event on that thread with preserveFocusHint false: VS Code then
// fetches the threads, selects the thread and its top frame (the first one
// with a source that is not de-emphasised, which is dapcore's landing
// frame). The `dapcore/focusGoroutine` request makes dapcore send it (and
// list the goroutine in a capped CALL STACK). Should the frame VS Code picks
// differ from the one dapcore names, the call-stack navigation commands
// move the focus to it.

const vscode = require('vscode');

const DEBUG_TYPE = 'gocore';
const VIEW_ID = 'dapcore.goroutines';
const GROUPS_REQUEST = 'dapcore/goroutineGroups';
const FOCUS_REQUEST = 'dapcore/focusGoroutine';
const GROUP_LIMIT = 500; // groups listed (a filter narrows the rest)
const GOROUTINE_PAGE = 200; // goroutines loaded per click in a group

const FILTER_KEYS = ['status', 'reason', 'function', 'package', 'label', 'system'];

/** `status=waiting function=main.* reason="chan receive" label=job=export`
 *  → the request's filter object; throws an Error naming a bad word. */
function parseFilter(text) {
  const words = [];
  const re = /(?:[^\s"']+|"[^"]*"|'[^']*')+/g;
  for (const m of (text || '').matchAll(re)) words.push(m[0].replace(/["']/g, ''));
  const filter = {};
  for (const word of words) {
    const at = word.indexOf('=');
    const key = at < 0 ? word : word.slice(0, at).toLowerCase();
    const value = at < 0 ? '' : word.slice(at + 1);
    if (!FILTER_KEYS.includes(key) || at < 0) {
      throw new Error(`"${word}": expected KEY=VALUE with KEY one of ${FILTER_KEYS.join(', ')}`);
    }
    if (key === 'label') {
      const eq = value.indexOf('=');
      if (!value || eq === 0) throw new Error(`"${word}": expected label=KEY or label=KEY=VALUE`);
      filter.label = filter.label || {};
      if (eq < 0) filter.label[value] = null;
      else filter.label[value.slice(0, eq)] = value.slice(eq + 1);
    } else if (key === 'system') {
      if (!['true', 'false'].includes(value.toLowerCase())) {
        throw new Error(`"${word}": system=true or system=false`);
      }
      filter.system = value.toLowerCase() === 'true';
    } else {
      if (!value) throw new Error(`"${word}": empty ${key}`);
      filter[key] = value;
    }
  }
  return filter;
}

function shortName(fn) {
  // `github.com/x/y/pkg.(*T).m` → `pkg.(*T).m`
  const slash = fn.lastIndexOf('/', fn.indexOf('(') >= 0 ? fn.indexOf('(') : fn.length);
  return slash >= 0 ? fn.slice(slash + 1) : fn;
}

function baseName(file) {
  return file ? file.slice(file.lastIndexOf('/') + 1) : '?';
}

/** The innermost function outside the runtime (the server says which). */
function headline(group) {
  if (group.headline) return group.headline;
  const f = group.frames.find((x) => !/^(runtime\.|runtime\/internal\/|internal\/runtime\/)/.test(x.function));
  return f ? f.function : (group.frames[0] || { function: '?' }).function;
}

function waitText(w) {
  if (!w || w.most <= 0) return '';
  return w.least === w.most ? `≥ ${w.least} min` : `≥ ${w.least}–${w.most} min`;
}

/** Tree elements: {kind: 'group', group, goroutines: [] | undefined},
 *  {kind: 'goroutine', group, g}, {kind: 'more', group},
 *  {kind: 'message', text}. */
class GoroutinesProvider {
  constructor() {
    this._changed = new vscode.EventEmitter();
    this.onDidChangeTreeData = this._changed.event;
    this.session = undefined;
    this.filterText = '';
    this.filter = {};
    this.ready = new Set(); // sessions that have stopped (a core is open)
    this.roots = undefined;
    this.total = undefined;
    this.view = undefined;
  }

  setSession(session) {
    const next = session && session.type === DEBUG_TYPE ? session : undefined;
    if (next === this.session) return;
    this.session = next;
    this.refresh();
  }

  stopped(session) {
    this.ready.add(session.id);
    if (this.session && this.session.id === session.id && this.roots === undefined) this.refresh();
  }

  ended(session) {
    this.ready.delete(session.id);
    if (this.session && this.session.id === session.id) this.setSession(undefined);
  }

  refresh() {
    this.roots = undefined;
    this._changed.fire(undefined);
  }

  setFilter(text) {
    this.filter = parseFilter(text);
    this.filterText = text.trim();
    if (this.view) this.view.description = this.filterText || undefined;
    this.refresh();
  }

  async request(args) {
    return this.session.customRequest(GROUPS_REQUEST, { filter: this.filter, ...args });
  }

  async getChildren(el) {
    if (!this.session) return [{ kind: 'message', text: 'No Go core dump session' }];
    if (!this.ready.has(this.session.id)) return [{ kind: 'message', text: 'Opening the core…' }];
    try {
      if (!el) return await this.rootChildren();
      if (el.kind === 'group') {
        if (!el.goroutines) await this.loadMore(el, false);
        const items = el.goroutines.map((g) => ({ kind: 'goroutine', group: el, g }));
        if (el.goroutines.length < el.group.count) items.push({ kind: 'more', group: el });
        return items;
      }
    } catch (err) {
      return [{ kind: 'message', text: `dapcore: ${err.message || err}` }];
    }
    return [];
  }

  async rootChildren() {
    if (this.roots === undefined) {
      const body = await this.request({ count: GROUP_LIMIT, goroutinesPerGroup: 0 });
      this.total = body;
      this.roots = body.groups.map((group) => ({ kind: 'group', group, goroutines: undefined }));
      if (this.view) {
        this.view.message = `${body.totalGoroutines.toLocaleString('en-US')} goroutines in `
          + `${body.totalGroups.toLocaleString('en-US')} groups`
          + (this.filterText ? ` (filter: ${this.filterText})` : '');
      }
    }
    const items = [...this.roots];
    if (this.total.totalGroups > this.roots.length) {
      items.push({ kind: 'message',
        text: `… ${this.total.totalGroups - this.roots.length} more groups: filter to see them` });
    }
    if (items.length === 0) items.push({ kind: 'message', text: 'No goroutine matches the filter' });
    return items;
  }

  /** The next page of a group's goroutines; `fire`: show them. */
  async loadMore(el, fire = true) {
    const start = el.goroutines ? el.goroutines.length : 0;
    const body = await this.request({ group: el.group.id, goroutinesStart: start,
      goroutinesPerGroup: GOROUTINE_PAGE });
    const got = body.groups.length ? body.groups[0].goroutines : [];
    el.goroutines = [...(el.goroutines || []), ...got];
    if (fire) this._changed.fire(el);
  }

  getTreeItem(el) {
    if (el.kind === 'message') {
      const item = new vscode.TreeItem(el.text, vscode.TreeItemCollapsibleState.None);
      item.contextValue = 'message';
      return item;
    }
    if (el.kind === 'group') {
      const g = el.group;
      const label = `${g.count.toLocaleString('en-US')} × [${g.status}] ${shortName(headline(g))}`;
      const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `group:${this.filterText}:${g.id}`;
      const site = g.createdBy.length ? `created at ${baseName(g.createdBy[0].file)}:${g.createdBy[0].line}`
        + (g.createdBy.length > 1 ? ` +${g.createdBy.length - 1}` : '') : '';
      item.description = [waitText(g.waitMinutes), site, g.crashed ? '⚡ crashed' : '']
        .filter(Boolean).join(' · ');
      const md = new vscode.MarkdownString();
      md.appendMarkdown(`**${g.count.toLocaleString('en-US')} goroutines** [${g.status}]`
        + `${g.system ? ' (system)' : ''} — group \`${g.id}\`\n\n`);
      md.appendCodeblock(g.frames.map((f) => `${f.function}${f.inlined ? ' (inlined)' : ''}\n\t${f.file}:${f.line}`)
        .join('\n') + g.createdBy.map((s) => `\ncreated by ${s.function} at ${s.file}:${s.line}`
        + (g.createdBy.length > 1 ? ` (${s.count})` : '')).join(''), 'text');
      item.tooltip = md;
      item.contextValue = 'group';
      item.iconPath = new vscode.ThemeIcon(g.crashed ? 'error' : g.waiting ? 'debug-pause' : 'debug-start');
      return item;
    }
    if (el.kind === 'more') {
      const left = el.group.group.count - el.group.goroutines.length;
      const item = new vscode.TreeItem(`… ${left.toLocaleString('en-US')} more`,
        vscode.TreeItemCollapsibleState.None);
      item.command = { command: 'dapcore.goroutines.more', title: 'Load more goroutines', arguments: [el] };
      item.contextValue = 'more';
      return item;
    }
    const { g, group } = el;
    const top = group.group.frames.find((f) => f.function === headline(group.group));
    const item = new vscode.TreeItem(`Goroutine ${g.id}`, vscode.TreeItemCollapsibleState.None);
    item.id = `goroutine:${this.filterText}:${group.group.id}:${g.id}`;
    item.description = top ? `${shortName(top.function)} ${baseName(top.file)}:${top.line}` : '';
    item.command = { command: 'dapcore.goroutines.focus', title: 'Show goroutine', arguments: [el] };
    item.contextValue = 'goroutine';
    return item;
  }

  /** Shows goroutine `el` in CALL STACK and the editor, at its top user frame. */
  async focus(el) {
    const session = this.session;
    if (!session || !el || el.kind !== 'goroutine') return;
    const { threadId } = el.g;
    const answer = await session.customRequest(FOCUS_REQUEST, { threadId });
    await settleFrame(session, threadId, answer.frameId);
  }
}

/** Waits for VS Code to focus `threadId` (after the stopped event), then
 *  moves the focus to frame `frameId` if VS Code chose another. */
async function settleFrame(session, threadId, frameId) {
  if (!('activeStackItem' in vscode.debug)) return; // before VS Code 1.90: its own choice stands
  const active = () => vscode.debug.activeStackItem;
  const onThread = () => {
    const a = active();
    return a && a.session && a.session.id === session.id && a.threadId === threadId && 'frameId' in a;
  };
  for (let i = 0; i < 50 && !onThread(); i++) await new Promise((r) => setTimeout(r, 100));
  if (!onThread() || active().frameId === frameId) return;
  const { stackFrames } = await session.customRequest('stackTrace', { threadId });
  const ids = stackFrames.map((f) => f.id);
  for (let step = 0; step < ids.length && onThread() && active().frameId !== frameId; step++) {
    const here = ids.indexOf(active().frameId);
    const there = ids.indexOf(frameId);
    if (here < 0 || there < 0) return;
    await vscode.commands.executeCommand(there > here ? 'workbench.action.debug.callStackDown'
      : 'workbench.action.debug.callStackUp');
  }
}

/** The view, its commands and the session tracking. */
function registerGoroutinesView(context) {
  const provider = new GoroutinesProvider();
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  provider.view = view;
  provider.setSession(vscode.debug.activeDebugSession);
  context.subscriptions.push(
    view,
    vscode.debug.onDidChangeActiveDebugSession((s) => provider.setSession(s)),
    vscode.debug.onDidTerminateDebugSession((s) => provider.ended(s)),
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
      createDebugAdapterTracker(session) {
        return {
          onDidSendMessage(msg) {
            if (msg && msg.type === 'event' && msg.event === 'stopped') provider.stopped(session);
          },
        };
      },
    }),
    vscode.commands.registerCommand('dapcore.goroutines.refresh', () => provider.refresh()),
    vscode.commands.registerCommand('dapcore.goroutines.filter', async () => {
      const text = await vscode.window.showInputBox({
        title: 'Goroutines: filter',
        prompt: 'KEY=VALUE words: status, reason, function, package (* and ? as in shell patterns, '
          + 'else a substring), label=KEY[=VALUE], system=true|false. Empty: no filter.',
        placeHolder: 'status=waiting function=main.*',
        value: provider.filterText,
        validateInput: (v) => {
          try {
            parseFilter(v);
            return undefined;
          } catch (err) {
            return err.message;
          }
        },
      });
      if (text !== undefined) provider.setFilter(text);
    }),
    vscode.commands.registerCommand('dapcore.goroutines.more', async (el) => {
      try {
        await provider.loadMore(el.group);
      } catch (err) {
        vscode.window.showErrorMessage(`dapcore: ${err.message || err}`);
      }
    }),
    vscode.commands.registerCommand('dapcore.goroutines.focus', async (el) => {
      try {
        await provider.focus(el);
      } catch (err) {
        vscode.window.showErrorMessage(`dapcore: ${err.message || err}`);
      }
    }),
  );
  return provider;
}

module.exports = { registerGoroutinesView, GoroutinesProvider, parseFilter, headline, VIEW_ID };
