'use strict';
// Go Core Dump: the Python interpreter that runs dapcore, and the check that
// it starts the installed dapcore (else a message saying what to do).

const vscode = require('vscode');
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');

const INSTALL_HINT = 'pip install dapcore';
const SETTING_HINT = 'set "gocore.pythonPath" in your settings (User, Remote or Workspace) ' +
  'or "python" in the launch configuration';

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

// ------------------------------------------------------------ the dapcore check

/** Run with the adapter's interpreter, flags, working directory and
 *  environment: what `python -P -m dapcore` would import, and whether it
 *  can start. One JSON line on stdout. */
const PROBE = `
import importlib.util, json, sys
out = {"executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3]}
try:
    import dapcore
except BaseException as e:
    out["problem"] = "missing" if getattr(e, "name", None) == "dapcore" else "broken"
    out["detail"] = "%s: %s" % (type(e).__name__, e)
else:
    out["file"] = getattr(dapcore, "__file__", None)
    out["path"] = [str(p) for p in getattr(dapcore, "__path__", [])]
    try:
        from importlib.metadata import version
        out["dist"] = version("dapcore")
    except Exception:
        out["dist"] = None
    if not out["file"]:
        out["problem"] = "namespace"
    else:
        try:
            if importlib.util.find_spec("dapcore.__main__") is None:
                raise ImportError("dapcore has no __main__ module")
            import dapcore.dap.server
        except BaseException as e:
            out["problem"] = "broken"
            out["detail"] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(out))
`;

/** Checks that `<python> -P -m dapcore`, run in `options.cwd` with
 *  `options.env`, starts the installed dapcore. Resolves to undefined when it
 *  does (`onInfo` gets what was found), else to a message saying what is
 *  wrong and what to do. */
async function checkDapcore(python, source, options = {}, run = execFile, onInfo = undefined) {
  const opts = { cwd: options.cwd || process.cwd(), env: options.env || process.env };
  const who = `"${python}" (from ${source})`;
  const install = `Install it with: ${quote(python)} -m ${INSTALL_HINT} ` +
    `(or from a checkout of dapcore: ${quote(python)} -m pip install /path/to/dapcore), ` +
    `or ${SETTING_HINT} to an interpreter that has it.`;
  let out;
  try {
    out = await run(python, ['-P', '-c', PROBE], opts);
  } catch (err) {
    if (err && err.code === 'ENOENT') {
      return `Go Core Dump: the Python interpreter ${who} was not found. ` +
        `Install Python 3.11 or newer, or ${SETTING_HINT} to an interpreter that has dapcore.`;
    }
    const stderr = String((err && err.stderr) || '');
    if (/Unknown option|unknown option/.test(stderr) && /-P/.test(stderr)) {
      let version = '';
      try {
        const v = await run(python, ['-I', '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], opts);
        version = ` (it is Python ${String(v.stdout).trim()})`;
      } catch (_err) {
        // the version is only a detail
      }
      return `Go Core Dump: ${who} is too old${version}: dapcore needs Python 3.11 or newer. ` +
        `Install dapcore into a newer Python and ${SETTING_HINT} to it.`;
    }
    return `Go Core Dump: ${who} could not be run (${(err && err.message) || err})` +
      (stderr.trim() ? `: ${lastLines(stderr, 3)}` : '.');
  }
  let info;
  try {
    const lines = String(out.stdout).trim().split('\n');
    info = JSON.parse(lines[lines.length - 1]);
  } catch (_err) {
    return `Go Core Dump: ${who} did not answer the dapcore check: ${lastLines(String(out.stdout), 3)}`;
  }
  if (info.problem === 'missing') {
    let stray = '';
    if (fs.existsSync(path.join(opts.cwd, 'dapcore'))) {
      stray = ` (the folder ${path.join(opts.cwd, 'dapcore')} is not used: the adapter ` +
        'runs with -P, which keeps the working directory off sys.path)';
    }
    return `Go Core Dump: dapcore is not installed for ${who}${stray}. ${install}`;
  }
  if (info.problem === 'namespace') {
    return `Go Core Dump: ${who} finds a folder named dapcore at ${info.path.join(', ')}, ` +
      'which is not an installed dapcore (no __init__.py; it is reached through PYTHONPATH ' +
      `or a .pth file). Remove it from the path, or install dapcore: ${install}`;
  }
  if (info.problem === 'broken') {
    const where = info.file ? ` at ${path.dirname(info.file)}` : '';
    return `Go Core Dump: dapcore${where} cannot start with ${who}: ${info.detail}. ` +
      `Reinstall it: ${quote(python)} -m pip install --force-reinstall ${INSTALL_HINT.split(' ').pop()} ` +
      `(or from a checkout: ${quote(python)} -m pip install /path/to/dapcore).`;
  }
  if (onInfo) onInfo(info);
  return undefined;
}

function lastLines(text, n) {
  return text.trim().split('\n').slice(-n).join(' ⏎ ');
}

function quote(s) {
  return /[\s"']/.test(s) ? JSON.stringify(s) : s;
}

function execFile(file, args, options = {}) {
  return new Promise((resolve, reject) => {
    childProcess.execFile(file, args, { timeout: 30000, ...options }, (err, stdout, stderr) => {
      if (err) {
        err.stderr = stderr;
        reject(err);
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

module.exports = {
  findPython,
  pythonExtensionInterpreter,
  checkDapcore,
  execFile,
};
