'use strict';
// Go Core Dump: a VS Code front end for dapcore, the Debug Adapter Protocol
// server (Python) that opens Go core dumps. Plain JavaScript, no build step.
//
// This file: activation, the debug configuration provider and the commands.
// interpreter.js finds the Python that runs dapcore and checks it, adapter.js
// runs the debug adapter, coreinfo.js asks dapcore which executable a core names,
// goroutines.js is the Goroutines view (dapcore's goroutine groups).

const vscode = require('vscode');
const fs = require('fs');
const path = require('path');

const { findPython, pythonExtensionInterpreter, checkDapcore } = require('./interpreter');
const { ADAPTER_ARGS, adapterCwd, ChildDebugAdapter, DescriptorFactory } = require('./adapter');
const { coreExecutableInfo } = require('./coreinfo');
const { registerGoroutinesView } = require('./goroutines');

const DEBUG_TYPE = 'gocore';

/** CALL STACK lists at most this many goroutines unless the configuration
 *  says otherwise (`maxThreads`; 0: every one). VS Code's debug model
 *  checks each thread of a `threads` answer against the whole answer, so
 *  its window froze for minutes on a 100,007-goroutine core
 *  (benchmarks/bench_vscode.py); dapcore keeps the crashing goroutine and
 *  one of each kind in the list, and the Debug Console reaches the rest. */
const DEFAULT_MAX_THREADS = 1000;

// ------------------------------------------------------ configurations and UI

function isFile(file) {
  try {
    return fs.statSync(file).isFile();
  } catch (_err) {
    return false;
  }
}

async function pickCoreFile() {
  const picked = await vscode.window.showOpenDialog({
    title: 'Go Core Dump: the core file',
    openLabel: 'Open Core',
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
  });
  return picked && picked.length > 0 ? picked[0].fsPath : undefined;
}

/** What dapcore says about the executable of `corePath` (coreinfo.js), run
 *  with the interpreter and working directory the adapter would use. */
async function coreInfo(corePath, config = {}, folder = undefined) {
  const { python } = await findPython(config, folder);
  return coreExecutableInfo(python, corePath, { cwd: adapterCwd(config), env: process.env });
}

/** Asks for the executable of `corePath`, proposing existing files only:
 *  the executable the core names when it exists, then executables next to
 *  the core (the core's Go build ID first, then newest first), then a file
 *  dialog. Resolves to `null` when the executable the core names is chosen
 *  (the server opens it: `program` stays unset), to a path when another one
 *  is, undefined when cancelled. */
async function pickProgram(corePath, config = {}, folder = undefined) {
  const info = await coreInfo(corePath, config, folder);
  const named = info.named;
  const namedExists = Boolean(named && isFile(named));
  const missing = named && !namedExists ? `the core names ${named}, which does not exist here` : '';
  const items = [];
  if (namedExists) {
    const id = info.goBuildId && info.namedGoBuildId;
    const rebuilt = Boolean(id && id !== info.goBuildId);
    items.push({ label: named, value: null, rebuilt,
      description: rebuilt ? 'named in the core · a different Go build (rebuilt since?)'
        : info.goBuildId && id ? 'named in the core · same Go build ID' : 'named in the core' });
  }
  for (const c of info.nextTo) {
    if (namedExists && path.resolve(c.path) === path.resolve(named)) continue;
    const modified = new Date(c.mtimeMs).toISOString().slice(0, 16).replace('T', ' ');
    const build = c.match ? 'same Go build ID as the core'
      : info.goBuildId && c.goBuildId ? 'a different Go build' : `modified ${modified}`;
    items.push({ label: c.path, value: c.path, match: c.match, description: `next to the core · ${build}` });
  }
  // a named executable of another build goes after the matching ones
  if (items.length > 1 && items[0].rebuilt && items.some((i) => i.match)) items.push(items.shift());
  const choose = 'Choose the executable…';
  const title = `Go Core Dump: the executable that produced ${path.basename(corePath)}`;
  if (items.length > 0) {
    items.push({ label: choose, value: 'choose' });
    const item = await vscode.window.showQuickPick(items, {
      title: missing ? `${title} (${missing})` : title,
      placeHolder: missing ? 'The executable the core names is not here: pick one of the same build'
        : 'Pick the executable of the same build',
      matchOnDescription: true,
    });
    if (!item) return undefined;
    if (item.value !== 'choose') return item.value;
  }
  const picked = await vscode.window.showOpenDialog({
    title: missing ? `Go Core Dump: the executable (${missing})`
      : 'Go Core Dump: the executable that produced the core',
    openLabel: 'Use Executable',
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(path.dirname(namedExists ? named : corePath)),
  });
  return picked && picked.length > 0 ? picked[0].fsPath : undefined;
}

/** A complete configuration from dialogs, or undefined when cancelled. */
async function interactiveConfiguration(folder, base = {}) {
  const core = base.coreFilePath || await pickCoreFile();
  if (!core) return undefined;
  const config = {
    ...base,
    type: DEBUG_TYPE,
    request: base.request || 'launch',
    name: base.name || `Go core: ${path.basename(core)}`,
    coreFilePath: core,
  };
  if (!config.program) {
    const program = await pickProgram(core, config, folder);
    if (program === undefined) return undefined;
    if (program) config.program = program;
  }
  if (!config.cwd && folder) config.cwd = folder.uri.fsPath;
  return config;
}

class ConfigurationProvider {
  /** Dynamic configurations (Run and Debug ▸ "Go Core Dump…"). */
  provideDebugConfigurations(_folder) {
    return [{
      type: DEBUG_TYPE,
      request: 'launch',
      name: 'Open Go core dump…',
      coreFilePath: '${command:gocore.pickCoreFile}',
    }];
  }

  async resolveDebugConfiguration(folder, config) {
    const noLaunchJson = !config.type && !config.request && !config.name;
    if (noLaunchJson) return interactiveConfiguration(folder, {});
    const resolved = { ...config, type: config.type || DEBUG_TYPE };
    if (!resolved.request) resolved.request = 'launch';
    if (!resolved.name) resolved.name = 'Go core dump';
    if (!resolved.cwd && folder) resolved.cwd = folder.uri.fsPath;
    if (!resolved.coreFilePath) return interactiveConfiguration(folder, resolved);
    return resolved;
  }

  async resolveDebugConfigurationWithSubstitutedVariables(folder, config) {
    if (!config.coreFilePath) return undefined; // the pick was cancelled
    if (config.maxThreads === undefined) config = { ...config, maxThreads: DEFAULT_MAX_THREADS };
    if (!config.program) {
      const { named } = await coreInfo(config.coreFilePath, config, folder);
      if (!named || !fs.existsSync(named)) {
        const program = await pickProgram(config.coreFilePath, config, folder);
        if (!program) return undefined;
        return { ...config, program };
      }
    }
    return config;
  }
}

async function openCoreFile() {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  const config = await interactiveConfiguration(folder, {});
  if (!config) return false;
  return vscode.debug.startDebugging(folder, config);
}

function activate(context) {
  const provider = new ConfigurationProvider();
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new DescriptorFactory()),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider),
    vscode.debug.registerDebugConfigurationProvider(
      DEBUG_TYPE, provider, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.commands.registerCommand('gocore.openCoreFile', openCoreFile),
    vscode.commands.registerCommand('gocore.pickCoreFile', pickCoreFile),
  );
  registerGoroutinesView(context);
}

function deactivate() {}

module.exports = {
  activate,
  deactivate,
  // for the tests
  DEFAULT_MAX_THREADS,
  findPython,
  pythonExtensionInterpreter,
  checkDapcore,
  DescriptorFactory,
  ConfigurationProvider,
  coreExecutableInfo,
  coreInfo,
  adapterCwd,
  ChildDebugAdapter,
  ADAPTER_ARGS,
  interactiveConfiguration,
  openCoreFile,
  pickProgram,
};
