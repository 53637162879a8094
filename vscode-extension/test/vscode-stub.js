'use strict';
// A stand-in for the `vscode` module: just what the extension uses, with
// knobs the tests turn (settings, installed extensions, dialog answers) and
// logs they read (error messages, started sessions, registrations).
const Module = require('module');
const path = require('path');

const state = {
  settings: {},
  extensions: {},
  openDialogAnswers: [],
  quickPickAnswers: [],
  errors: [],
  started: [],
  registered: [],
  commands: {},
  log: [],
  workspaceFolders: undefined,
  reset() {
    this.log = [];
    this.settings = {};
    this.extensions = {};
    this.openDialogAnswers = [];
    this.quickPickAnswers = [];
    this.errors = [];
    this.started = [];
    this.registered = [];
    this.commands = {};
    this.workspaceFolders = undefined;
    this.openDialogCalls = [];
    this.quickPickCalls = [];
  },
};
state.reset();

class DebugAdapterExecutable {
  constructor(command, args, options) {
    this.command = command;
    this.args = args;
    this.options = options;
  }
}

class DebugAdapterInlineImplementation {
  constructor(implementation) {
    this.implementation = implementation;
  }
}

class EventEmitter {
  constructor() {
    this.listeners = [];
    this.event = (listener) => {
      this.listeners.push(listener);
      return { dispose: () => { this.listeners = this.listeners.filter((l) => l !== listener); } };
    };
  }

  fire(data) {
    for (const l of [...this.listeners]) l(data);
  }
}

const Uri = {
  file(p) {
    return { fsPath: p, path: p, scheme: 'file' };
  },
};

class TreeItem {
  constructor(label, collapsibleState) {
    this.label = label;
    this.collapsibleState = collapsibleState;
  }
}

class ThemeIcon {
  constructor(id) {
    this.id = id;
  }
}

class MarkdownString {
  constructor() {
    this.value = '';
  }

  appendMarkdown(text) {
    this.value += text;
    return this;
  }

  appendCodeblock(code, lang) {
    this.value += `\n\`\`\`${lang}\n${code}\n\`\`\`\n`;
    return this;
  }
}

const vscode = {
  __state: state,
  TreeItem,
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  ThemeIcon,
  MarkdownString,
  DebugAdapterExecutable,
  DebugAdapterInlineImplementation,
  EventEmitter,
  Uri,
  DebugConfigurationProviderTriggerKind: { Initial: 1, Dynamic: 2 },
  workspace: {
    getConfiguration(section) {
      return {
        get(key, dflt) {
          const full = `${section}.${key}`;
          return full in state.settings ? state.settings[full] : dflt;
        },
      };
    },
    get workspaceFolders() {
      return state.workspaceFolders;
    },
  },
  extensions: {
    getExtension(id) {
      return state.extensions[id];
    },
  },
  window: {
    showErrorMessage(msg) {
      state.errors.push(msg);
      return Promise.resolve(undefined);
    },
    createOutputChannel(name) {
      return {
        name,
        appendLine(line) {
          state.log.push(line);
        },
      };
    },
    showOpenDialog(options) {
      state.openDialogCalls.push(options);
      const answer = state.openDialogAnswers.shift();
      return Promise.resolve(answer === undefined ? undefined : [Uri.file(answer)]);
    },
    createTreeView(id, options) {
      state.registered.push({ kind: 'view', type: id, provider: options.treeDataProvider });
      return { dispose() {} };
    },
    showQuickPick(items, options) {
      state.quickPickCalls.push({ items, options });
      const pick = state.quickPickAnswers.shift();
      return Promise.resolve(typeof pick === 'function' ? pick(items) : pick);
    },
  },
  debug: {
    registerDebugAdapterDescriptorFactory(type, factory) {
      state.registered.push({ kind: 'factory', type, factory });
      return { dispose() {} };
    },
    registerDebugConfigurationProvider(type, provider, trigger) {
      state.registered.push({ kind: 'provider', type, provider, trigger });
      return { dispose() {} };
    },
    activeDebugSession: undefined,
    onDidChangeActiveDebugSession() {
      return { dispose() {} };
    },
    onDidTerminateDebugSession() {
      return { dispose() {} };
    },
    registerDebugAdapterTrackerFactory(type, factory) {
      state.registered.push({ kind: 'tracker', type, factory });
      return { dispose() {} };
    },
    startDebugging(folder, config) {
      state.started.push({ folder, config });
      return Promise.resolve(true);
    },
  },
  commands: {
    registerCommand(id, fn) {
      state.commands[id] = fn;
      return { dispose() {} };
    },
  },
};

// `require('vscode')` anywhere resolves to this file.
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolve(request, ...rest) {
  if (request === 'vscode') return path.join(__dirname, 'vscode-stub.js');
  return originalResolve.call(this, request, ...rest);
};

module.exports = vscode;
