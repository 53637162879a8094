'use strict';
// Go Core Dump: a VS Code front end for dapcore, the Debug Adapter Protocol
// server (Python) that opens Go core dumps. Plain JavaScript, no build step.

const vscode = require('vscode');
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');

const DEBUG_TYPE = 'gocore';
const INSTALL_HINT = 'pip install dapcore';

// ---------------------------------------------------------------- interpreter

/** Candidate interpreters, in order: the launch configuration's `python`,
 *  the setting `gocore.pythonPath`, the Python extension's active
 *  environment (when that extension is installed), then python3. */
async function findPython(config, folder) {
  if (config && typeof config.python === 'string' && config.python.trim()) {
    return { python: config.python.trim(), source: 'the launch configuration\'s "python"' };
  }
  const setting = vscode.workspace.getConfiguration('gocore', folder && folder.uri).get('pythonPath');
  if (typeof setting === 'string' && setting.trim()) {
    return { python: setting.trim(), source: 'the setting gocore.pythonPath' };
  }
  const fromExtension = await pythonExtensionInterpreter(folder);
  if (fromExtension) {
    return { python: fromExtension, source: 'the Python extension\'s active environment' };
  }
  return { python: process.platform === 'win32' ? 'python' : 'python3', source: 'the default' };
}

/** The active environment of ms-python.python, or undefined. Never throws:
 *  the Python extension is optional. */
async function pythonExtensionInterpreter(folder) {
  try {
    const ext = vscode.extensions.getExtension('ms-python.python');
    if (!ext) return undefined;
    const api = ext.isActive ? ext.exports : await ext.activate();
    if (!api) return undefined;
    const resource = folder && folder.uri;
    if (api.environments && typeof api.environments.getActiveEnvironmentPath === 'function') {
      const active = api.environments.getActiveEnvironmentPath(resource);
      if (active) {
        if (typeof api.environments.resolveEnvironment === 'function') {
          const env = await api.environments.resolveEnvironment(active);
          const exe = env && env.executable && env.executable.uri && env.executable.uri.fsPath;
          if (exe) return exe;
        }
        if (active.path) return active.path;
      }
    }
    if (api.settings && typeof api.settings.getExecutionDetails === 'function') {
      const details = api.settings.getExecutionDetails(resource);
      const cmd = details && details.execCommand;
      if (Array.isArray(cmd) && cmd.length > 0 && cmd[0]) return cmd[0];
    }
  } catch (_err) {
    // the Python extension is optional; fall through to python3
  }
  return undefined;
}

/** Runs `<python> -c "import dapcore"`; resolves to undefined when it works,
 *  else to a message saying exactly what to install or set. */
function checkDapcore(python, source, run = execFile) {
  return run(python, ['-c', 'import dapcore']).then(
    () => undefined,
    (err) => {
      if (err && err.code === 'ENOENT') {
        return `Go Core Dump: the Python interpreter "${python}" (from ${source}) was not found. ` +
          'Install Python 3.11 or newer, or set "gocore.pythonPath" (or "python" in the launch ' +
          'configuration) to an interpreter that has dapcore.';
      }
      return `Go Core Dump: dapcore is not installed for "${python}" (from ${source}). ` +
        `Install it with: ${quote(python)} -m ${INSTALL_HINT} ` +
        `(or from a checkout of dapcore: ${quote(python)} -m pip install /path/to/dapcore), ` +
        'or set "gocore.pythonPath" to an interpreter that has it.';
    });
}

function quote(s) {
  return /[\s"']/.test(s) ? JSON.stringify(s) : s;
}

function execFile(file, args) {
  return new Promise((resolve, reject) => {
    childProcess.execFile(file, args, { timeout: 30000 }, (err, stdout, stderr) => {
      if (err) {
        err.stderr = stderr;
        reject(err);
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

class DescriptorFactory {
  constructor(run = execFile) {
    this.run = run;
  }

  async createDebugAdapterDescriptor(session) {
    const config = session.configuration || {};
    const { python, source } = await findPython(config, session.workspaceFolder);
    const problem = await checkDapcore(python, source, this.run);
    if (problem) {
      vscode.window.showErrorMessage(problem);
      throw new Error(problem);
    }
    const options = {};
    if (typeof config.cwd === 'string' && config.cwd && fs.existsSync(config.cwd)) {
      options.cwd = config.cwd;
    }
    return new vscode.DebugAdapterExecutable(python, ['-m', 'dapcore'], options);
  }
}

// ----------------------------------------------------- the core's executable

const PT_NOTE = 4;
const NT_AUXV = 6;
const NT_FILE = 0x46494c45;
const AT_ENTRY = 9;

/** The executable a core names: the file mapped (per the NT_FILE note) over
 *  the entry point (AT_ENTRY of the auxv note), else the first file mapped.
 *  Only little-endian ELF64 cores (linux/amd64, arm64); undefined otherwise. */
function executableNamedInCore(corePath) {
  let fd;
  try {
    fd = fs.openSync(corePath, 'r');
    const read = (offset, length) => {
      const buf = Buffer.alloc(length);
      const n = fs.readSync(fd, buf, 0, length, offset);
      return buf.subarray(0, n);
    };
    const eh = read(0, 64);
    if (eh.length < 64 || eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2 || eh[5] !== 1) {
      return undefined;
    }
    if (eh.readUInt16LE(16) !== 4) return undefined; // ET_CORE
    const phoff = Number(eh.readBigUInt64LE(32));
    const phentsize = eh.readUInt16LE(54);
    const phnum = eh.readUInt16LE(56);
    let files;
    let entry;
    for (let i = 0; i < phnum; i++) {
      const ph = read(phoff + i * phentsize, 56);
      if (ph.length < 56 || ph.readUInt32LE(0) !== PT_NOTE) continue;
      const offset = Number(ph.readBigUInt64LE(8));
      const size = Math.min(Number(ph.readBigUInt64LE(32)), 16 << 20);
      const notes = read(offset, size);
      let pos = 0;
      while (pos + 12 <= notes.length) {
        const namesz = notes.readUInt32LE(pos);
        const descsz = notes.readUInt32LE(pos + 4);
        const type = notes.readUInt32LE(pos + 8);
        const descStart = pos + 12 + align4(namesz);
        const desc = notes.subarray(descStart, descStart + descsz);
        if (type === NT_FILE && !files) files = parseNtFile(desc);
        if (type === NT_AUXV && entry === undefined) entry = auxvEntry(desc);
        pos = descStart + align4(descsz);
      }
    }
    if (!files || files.length === 0) return undefined;
    if (entry !== undefined) {
      const hit = files.find((f) => f.start <= entry && entry < f.end);
      if (hit) return hit.name;
    }
    return files[0].name;
  } catch (_err) {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function align4(n) {
  return (n + 3) & ~3;
}

function parseNtFile(desc) {
  if (desc.length < 16) return [];
  const count = Number(desc.readBigUInt64LE(0));
  let pos = 16;
  const ranges = [];
  for (let i = 0; i < count && pos + 24 <= desc.length; i++, pos += 24) {
    ranges.push({ start: desc.readBigUInt64LE(pos), end: desc.readBigUInt64LE(pos + 8) });
  }
  const names = desc.subarray(pos).toString('utf8').split('\0');
  return ranges.map((r, i) => ({ ...r, name: names[i] })).filter((f) => f.name);
}

function auxvEntry(desc) {
  for (let pos = 0; pos + 16 <= desc.length; pos += 16) {
    const key = desc.readBigUInt64LE(pos);
    if (key === 0n) break;
    if (key === BigInt(AT_ENTRY)) return desc.readBigUInt64LE(pos + 8);
  }
  return undefined;
}

// ------------------------------------------------------ configurations and UI

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

/** Asks for the executable of `corePath`. Resolves to `null` when the core
 *  names an executable that exists (the server opens it: `program` stays
 *  unset), to a path when the user chose one, undefined when cancelled. */
async function pickProgram(corePath) {
  const named = executableNamedInCore(corePath);
  const choose = 'Choose the executable…';
  if (named && fs.existsSync(named)) {
    const items = [
      { label: named, description: 'named in the core', value: null },
      { label: choose, value: 'choose' },
    ];
    const item = await vscode.window.showQuickPick(items, {
      title: 'Go Core Dump: the executable that produced ' + path.basename(corePath),
    });
    if (!item) return undefined;
    if (item.value === null) return null;
  }
  const picked = await vscode.window.showOpenDialog({
    title: named ? `Go Core Dump: the executable (the core names ${named}, not found here)`
      : 'Go Core Dump: the executable that produced the core',
    openLabel: 'Use Executable',
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(path.dirname(named || corePath)),
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
    const program = await pickProgram(core);
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
    if (!config.program) {
      const named = executableNamedInCore(config.coreFilePath);
      if (!named || !fs.existsSync(named)) {
        const program = await pickProgram(config.coreFilePath);
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
}

function deactivate() {}

module.exports = {
  activate,
  deactivate,
  // for the tests
  findPython,
  pythonExtensionInterpreter,
  checkDapcore,
  DescriptorFactory,
  ConfigurationProvider,
  executableNamedInCore,
  interactiveConfiguration,
  openCoreFile,
  pickProgram,
};
