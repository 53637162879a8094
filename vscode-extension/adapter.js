'use strict';
// Go Core Dump: the debug adapter, `<python> -P -m dapcore` run as a child
// process behind a vscode.DebugAdapterInlineImplementation.

const vscode = require('vscode');
const childProcess = require('child_process');
const fs = require('fs');

const { findPython, checkDapcore, execFile } = require('./interpreter');

/** The adapter runs as `<python> -P -m dapcore`. -P (Python 3.11+) keeps the
 *  working directory off sys.path, so a folder named dapcore there (any
 *  checkout) is never imported instead of the installed package. */
const ADAPTER_ARGS = ['-P', '-m', 'dapcore'];

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

module.exports = {
  ADAPTER_ARGS,
  adapterCwd,
  ChildDebugAdapter,
  DescriptorFactory,
};
