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

// ------------------------------------------------------------- the adapter

/** The adapter runs as `<python> -P -m dapcore`. -P (Python 3.11+) keeps the
 *  working directory off sys.path, so a folder named dapcore there (any
 *  checkout) is never imported instead of the installed package. */
const ADAPTER_ARGS = ['-P', '-m', 'dapcore'];
const SETTING_HINT = 'set "gocore.pythonPath" in your settings (User, Remote or Workspace) ' +
  'or "python" in the launch configuration';

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

/** Where the adapter runs: the launch configuration's `cwd` when it is a
 *  directory, else the extension host's working directory. */
function adapterCwd(config) {
  const cwd = config && config.cwd;
  if (typeof cwd === 'string' && cwd) {
    try {
      if (fs.statSync(cwd).isDirectory()) return cwd;
    } catch (_err) {
      // not there: the server reports a bad cwd itself
    }
  }
  return process.cwd();
}

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

let outputChannel;
function log(line) {
  try {
    if (!outputChannel) outputChannel = vscode.window.createOutputChannel('Go Core Dump');
    outputChannel.appendLine(line);
  } catch (_err) {
    // logging is best effort
  }
}

/** The adapter process behind a vscode.DebugAdapterInlineImplementation:
 *  DAP messages with Content-Length framing over its stdin/stdout, its
 *  stderr kept. When the process exits before the session is ended (no
 *  `disconnect`/`terminate` sent), the Debug Console shows its stderr and
 *  exit code, pending requests get error responses and a `terminated`
 *  event ends the session: it never hangs on a dead adapter. */
class ChildDebugAdapter {
  constructor(command, args, options = {}) {
    this.emitter = new vscode.EventEmitter();
    this.onDidSendMessage = this.emitter.event;
    this.command = command;
    this.args = args;
    this.cwd = options.cwd;
    this.pending = new Map();
    this.stderr = '';
    this.stdoutBuf = Buffer.alloc(0);
    this.ending = false;
    this.exited = false;
    this.sawTerminated = false;
    this.seq = 1 << 30;
    this.child = childProcess.spawn(command, args, {
      cwd: options.cwd, env: options.env || process.env, stdio: ['pipe', 'pipe', 'pipe'],
    });
    log(`started ${this.commandLine()} (pid ${this.child.pid}, cwd ${options.cwd})`);
    this.child.stdout.on('data', (chunk) => this.onStdout(chunk));
    this.child.stderr.on('data', (chunk) => {
      const text = chunk.toString('utf8');
      this.stderr = (this.stderr + text).slice(-65536);
      log(text.replace(/\n$/, ''));
    });
    this.child.stdin.on('error', () => { /* reported by 'close' */ });
    this.child.on('error', (err) => {
      this.spawnError = err;
      this.onExit(null, null);
    });
    this.child.on('close', (code, signal) => this.onExit(code, signal));
  }

  send(message) {
    this.emitter.fire(message);
  }

  onStdout(chunk) {
    this.stdoutBuf = Buffer.concat([this.stdoutBuf, chunk]);
    for (;;) {
      const headerEnd = this.stdoutBuf.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.stdoutBuf.subarray(0, headerEnd).toString('ascii');
      const m = /Content-Length:\s*(\d+)/i.exec(header);
      if (!m) {
        // not DAP: drop up to the header end, keep it for the report
        this.stderr = (this.stderr + header + '\n').slice(-65536);
        this.stdoutBuf = this.stdoutBuf.subarray(headerEnd + 4);
        continue;
      }
      const length = Number(m[1]);
      if (this.stdoutBuf.length < headerEnd + 4 + length) return;
      const body = this.stdoutBuf.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.stdoutBuf = this.stdoutBuf.subarray(headerEnd + 4 + length);
      let message;
      try {
        message = JSON.parse(body);
      } catch (_err) {
        continue;
      }
      if (message.type === 'response') this.pending.delete(message.request_seq);
      if (message.type === 'event' && message.event === 'terminated') this.sawTerminated = true;
      this.send(message);
    }
  }

  handleMessage(message) {
    if (message.type === 'request' &&
        (message.command === 'disconnect' || message.command === 'terminate')) {
      this.ending = true;
    }
    if (this.exited) {
      if (message.type === 'request') {
        const ok = message.command === 'disconnect' || message.command === 'terminate';
        this.send(this.response(message, ok, ok ? undefined : this.exitSummary()));
      }
      return;
    }
    if (message.type === 'request') this.pending.set(message.seq, message.command);
    const json = Buffer.from(JSON.stringify(message), 'utf8');
    try {
      this.child.stdin.write(`Content-Length: ${json.length}\r\n\r\n`);
      this.child.stdin.write(json);
    } catch (_err) {
      // the process is gone: 'close' answers what is pending
    }
  }

  response(request, success, message) {
    const r = { type: 'response', seq: this.seq++, request_seq: request.seq,
      command: request.command, success };
    if (!success) {
      r.message = message;
      r.body = { error: { id: 1, format: message, showUser: false } };
    }
    return r;
  }

  exitSummary(withLastLine = true) {
    const how = this.spawnError ? `could not be started (${this.spawnError.message})`
      : this.exitSignal ? `was killed by ${this.exitSignal}` : `exited with code ${this.exitCode}`;
    const last = withLastLine && this.stderr.trim() ? `: ${this.stderr.trim().split('\n').pop()}` : '';
    return `the debug adapter (${this.commandLine()}) ${how}${last}`;
  }

  commandLine() {
    const line = [this.command, ...this.args].join(' ').replace(/\s+/g, ' ');
    return line.length > 100 ? line.slice(0, 99) + '…' : line;
  }

  onExit(code, signal) {
    if (this.exited) return;
    this.exited = true;
    this.exitCode = code;
    this.exitSignal = signal;
    log(`adapter ${this.exitSummary(false)}`);
    if (this.ending) return;
    const answerPending = () => {
      for (const [seq, command] of this.pending) {
        this.send(this.response({ seq, command }, false, `Go Core Dump: ${this.exitSummary()}`));
      }
      this.pending.clear();
    };
    if (this.sawTerminated && code === 0) {
      // the adapter ended the session itself, then exited cleanly
      answerPending();
      return;
    }
    // Died while the session was on: say so in the Debug Console.
    const output = (category, text) => this.send({ type: 'event', seq: this.seq++, event: 'output',
      body: { category, output: text } });
    if (this.stderr.trim()) output('stderr', this.stderr.endsWith('\n') ? this.stderr : this.stderr + '\n');
    output('stderr', `Go Core Dump: ${this.exitSummary(false)} before the session ended ` +
      `(working directory ${this.cwd}).\n`);
    answerPending();
    if (!this.sawTerminated) this.send({ type: 'event', seq: this.seq++, event: 'terminated' });
  }

  dispose() {
    this.ending = true;
    if (!this.exited) {
      try {
        this.child.stdin.end();
      } catch (_err) {
        // already closed
      }
      const timer = setTimeout(() => {
        if (!this.exited) this.child.kill();
      }, 2000);
      if (timer.unref) timer.unref();
    }
  }
}

class DescriptorFactory {
  constructor(run = execFile) {
    this.run = run;
  }

  async createDebugAdapterDescriptor(session) {
    const config = session.configuration || {};
    const { python, source } = await findPython(config, session.workspaceFolder);
    const options = { cwd: adapterCwd(config), env: process.env };
    const problem = await checkDapcore(python, source, options, this.run, (info) => log(
      `dapcore ${info.dist || '(no package metadata)'} at ${info.file}, Python ${info.version} ` +
      `${info.executable} (from ${source})`));
    if (problem) {
      vscode.window.showErrorMessage(problem);
      throw new Error(problem);
    }
    return new vscode.DebugAdapterInlineImplementation(
      new ChildDebugAdapter(python, ADAPTER_ARGS, options));
  }
}

// ----------------------------------------------------- the core's executable

const PT_LOAD = 1;
const PT_NOTE = 4;
const NT_AUXV = 6;
const NT_FILE = 0x46494c45;
const AT_ENTRY = 9;
const ET_EXEC = 2;
const ET_DYN = 3;
const ET_CORE = 4;
const NOTE_GO_BUILDID = 4; // the Go linker's ELF note "Go", type 4
const PAGE = 4096;

/** A reader of `length` bytes at `offset` of an open file. */
function fileReader(fd) {
  return (offset, length) => {
    const buf = Buffer.alloc(length);
    const n = fs.readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n);
  };
}

function withFile(file, fn) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
    return fn(fileReader(fd), fd);
  } catch (_err) {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The ELF header and program headers of a little-endian ELF64 image, or
 *  undefined. `read(offset, length)` reads the image. */
function elfHeaders(read) {
  const eh = read(0, 64);
  if (eh.length < 64 || eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2 || eh[5] !== 1) {
    return undefined;
  }
  const type = eh.readUInt16LE(16);
  const phoff = Number(eh.readBigUInt64LE(32));
  const phentsize = eh.readUInt16LE(54);
  const phnum = Math.min(eh.readUInt16LE(56), 65535);
  const phdrs = [];
  if (phentsize >= 56) {
    const table = read(phoff, phentsize * phnum);
    for (let i = 0; (i + 1) * phentsize <= table.length; i++) {
      const ph = table.subarray(i * phentsize, i * phentsize + 56);
      phdrs.push({
        type: ph.readUInt32LE(0),
        offset: Number(ph.readBigUInt64LE(8)),
        vaddr: ph.readBigUInt64LE(16),
        filesz: Number(ph.readBigUInt64LE(32)),
        memsz: ph.readBigUInt64LE(40),
      });
    }
  }
  return { type, phdrs };
}

/** The notes of an ELF image's PT_NOTE segments: [{name, type, desc}]. */
function elfNotes(read, headers, maxBytes = 16 << 20) {
  const out = [];
  for (const ph of headers.phdrs) {
    if (ph.type !== PT_NOTE) continue;
    const notes = read(ph.offset, Math.min(ph.filesz, maxBytes));
    let pos = 0;
    while (pos + 12 <= notes.length) {
      const namesz = notes.readUInt32LE(pos);
      const descsz = notes.readUInt32LE(pos + 4);
      const type = notes.readUInt32LE(pos + 8);
      const name = notes.subarray(pos + 12, pos + 12 + namesz).toString('latin1').replace(/\0+$/, '');
      const descStart = pos + 12 + align4(namesz);
      out.push({ name, type, desc: notes.subarray(descStart, descStart + descsz) });
      pos = descStart + align4(descsz);
    }
  }
  return out;
}

function goBuildIdOf(read) {
  const headers = elfHeaders(read);
  if (!headers) return undefined;
  const note = elfNotes(read, headers, 1 << 16).find(
    (n) => n.name === 'Go' && n.type === NOTE_GO_BUILDID);
  const id = note && note.desc.toString('latin1').replace(/\0+$/, '');
  return id || undefined;
}

/** What a core says about its executable: `named`, the file mapped (per
 *  the NT_FILE note) over the entry point (AT_ENTRY of the auxv note), else
 *  the first file mapped; `goBuildId`, the Go build ID in the core's copy of
 *  that file's first page, when the core holds it. Only little-endian ELF64
 *  cores (linux/amd64, arm64); undefined when it is not one. */
function coreExecutableInfo(corePath) {
  return withFile(corePath, (read) => {
    const headers = elfHeaders(read);
    if (!headers || headers.type !== ET_CORE) return undefined;
    let files;
    let entry;
    for (const note of elfNotes(read, headers)) {
      if (note.type === NT_FILE && !files) files = parseNtFile(note.desc);
      if (note.type === NT_AUXV && entry === undefined) entry = auxvEntry(note.desc);
    }
    if (!files || files.length === 0) return undefined;
    const hit = entry !== undefined && files.find((f) => f.start <= entry && entry < f.end);
    const named = hit ? hit.name : files[0].name;
    // The kernel dumps the first page of every ELF file mapping: the Go
    // linker puts its build ID note there.
    let goBuildId;
    const first = files.find((f) => f.name === named && f.offset === 0n);
    const load = first && headers.phdrs.find((ph) => ph.type === PT_LOAD &&
      ph.vaddr <= first.start && first.start - ph.vaddr + BigInt(PAGE) <= BigInt(ph.filesz));
    if (load) {
      const page = read(load.offset + Number(first.start - load.vaddr), PAGE);
      goBuildId = goBuildIdOf((offset, length) => page.subarray(offset, offset + length));
    }
    return { named, goBuildId };
  });
}

/** The executable a core names (see coreExecutableInfo), or undefined. */
function executableNamedInCore(corePath) {
  const info = coreExecutableInfo(corePath);
  return info && info.named;
}

/** The Go build ID of an executable (its `.note.go.buildid`), or undefined. */
function goBuildIdOfExecutable(file) {
  return withFile(file, (read) => goBuildIdOf(read));
}

function align4(n) {
  return (n + 3) & ~3;
}

function parseNtFile(desc) {
  if (desc.length < 16) return [];
  const count = Number(desc.readBigUInt64LE(0));
  const pageSize = desc.readBigUInt64LE(8) || 1n;
  let pos = 16;
  const ranges = [];
  for (let i = 0; i < count && pos + 24 <= desc.length; i++, pos += 24) {
    ranges.push({ start: desc.readBigUInt64LE(pos), end: desc.readBigUInt64LE(pos + 8),
      offset: desc.readBigUInt64LE(pos + 16) * pageSize });
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

function isFile(file) {
  try {
    return fs.statSync(file).isFile();
  } catch (_err) {
    return false;
  }
}

/** Executables in the core's directory, as [{path, mtimeMs, goBuildId,
 *  match}]: regular, executable ELF files (not cores, not shared libraries),
 *  the ones with the core's Go build ID first, then newest first. */
function executablesNextTo(corePath, coreBuildId, limit = 20) {
  const dir = path.dirname(corePath);
  let names;
  try {
    names = fs.readdirSync(dir).slice(0, 5000);
  } catch (_err) {
    return [];
  }
  const found = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (file === corePath || /\.so(\.\d+)*$/.test(name)) continue;
    let st;
    try {
      st = fs.statSync(file);
    } catch (_err) {
      continue;
    }
    if (!st.isFile() || (st.mode & 0o111) === 0 || st.size < 64) continue;
    const headers = withFile(file, (read) => elfHeaders(read));
    if (!headers || (headers.type !== ET_EXEC && headers.type !== ET_DYN)) continue;
    const goBuildId = goBuildIdOfExecutable(file);
    found.push({ path: file, mtimeMs: st.mtimeMs, goBuildId,
      match: Boolean(coreBuildId && goBuildId === coreBuildId) });
  }
  found.sort((a, b) => (Number(b.match) - Number(a.match)) || (b.mtimeMs - a.mtimeMs));
  return found.slice(0, limit);
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

/** Asks for the executable of `corePath`, proposing existing files only:
 *  the executable the core names when it exists, then executables next to
 *  the core (the core's Go build ID first, then newest first), then a file
 *  dialog. Resolves to `null` when the executable the core names is chosen
 *  (the server opens it: `program` stays unset), to a path when another one
 *  is, undefined when cancelled. */
async function pickProgram(corePath) {
  const info = coreExecutableInfo(corePath) || {};
  const named = info.named;
  const namedExists = Boolean(named && isFile(named));
  const missing = named && !namedExists ? `the core names ${named}, which does not exist here` : '';
  const items = [];
  if (namedExists) {
    const id = info.goBuildId && goBuildIdOfExecutable(named);
    const rebuilt = Boolean(id && id !== info.goBuildId);
    items.push({ label: named, value: null, rebuilt,
      description: rebuilt ? 'named in the core · a different Go build (rebuilt since?)'
        : info.goBuildId && id ? 'named in the core · same Go build ID' : 'named in the core' });
  }
  for (const c of executablesNextTo(corePath, info.goBuildId)) {
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
  coreExecutableInfo,
  goBuildIdOfExecutable,
  executablesNextTo,
  adapterCwd,
  ChildDebugAdapter,
  ADAPTER_ARGS,
  interactiveConfiguration,
  openCoreFile,
  pickProgram,
};
