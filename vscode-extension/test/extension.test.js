'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');

const vscode = require('./vscode-stub');
const ext = require('../extension');
const { validate } = require('./schema');

const state = vscode.__state;
const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
const debuggerContrib = pkg.contributes.debuggers.find((d) => d.type === 'gocore');
const launchSchema = debuggerContrib.configurationAttributes.launch;
const folder = { uri: vscode.Uri.file('/ws'), name: 'ws', index: 0 };

function pythonExtension(api, { active = true } = {}) {
  return { isActive: active, exports: active ? api : undefined, activate: async () => api };
}

test.beforeEach(() => state.reset());

// ------------------------------------------------------------ package.json

test('debugger contribution: type, label, language', () => {
  assert.equal(debuggerContrib.label, 'Go Core Dump');
  assert.deepEqual(debuggerContrib.languages, ['go']);
  assert.equal(pkg.main, './extension.js');
  assert.ok(pkg.contributes.commands.some(
    (c) => c.command === 'gocore.openCoreFile' && `${c.category}: ${c.title}` ===
      'Go Core Dump: Open Core File…'));
  assert.equal(pkg.contributes.configuration.properties['gocore.pythonPath'].type, 'string');
});

test('configurationAttributes describe every launch attribute the server reads', () => {
  const configPy = fs.readFileSync(
    path.join(__dirname, '..', '..', 'dapcore', 'dap', 'config.py'), 'utf8');
  const parse = configPy.slice(configPy.indexOf('def parse_launch('), configPy.indexOf('def resolve('));
  const read = new Set();
  for (const m of parse.matchAll(/(?:optional|required|non_negative)\(args, "(\w+)"/g)) read.add(m[1]);
  assert.ok(read.size >= 11, `found only ${[...read]}`);
  const described = Object.keys(launchSchema.properties);
  for (const name of read) assert.ok(described.includes(name), `${name} is not described`);
  assert.deepEqual(described.filter((n) => !read.has(n)), ['python']);
  for (const [name, prop] of Object.entries(launchSchema.properties)) {
    assert.ok(prop.type, `${name} has no type`);
    assert.ok(prop.description && prop.description.length > 10, `${name} has no description`);
    if ('default' in prop) assert.deepEqual(validate(prop, prop.default, name), []);
  }
  assert.deepEqual(launchSchema.required, ['coreFilePath']);
});

test('every initial configuration validates against configurationAttributes', () => {
  assert.ok(debuggerContrib.initialConfigurations.length > 0);
  for (const config of debuggerContrib.initialConfigurations) {
    assert.equal(config.type, 'gocore');
    assert.equal(config.request, 'launch');
    assert.deepEqual(validate(launchSchema, config), [], config.name);
  }
});

/** A snippet body as VS Code inserts it: JSON text where "^\"…\"" values are
 *  unquoted, then snippet placeholders ${N:text} take their text, \$ → $. */
function expandSnippet(body) {
  let text = JSON.stringify(body, null, '\t');
  text = text.replace(/"\^((?:[^"\\]|\\.)*)"/g,
    (_, m) => m.replace(/\\"/g, '"').replace(/\\\\/g, '\\'));
  text = text.replace(/(?<!\\)\$\{\d+:([^}]*)\}/g, '$1').replace(/(?<!\\)\$\d+/g, '')
    .replace(/\\\$/g, '$');
  return JSON.parse(text);
}

test('every configuration snippet validates against configurationAttributes', () => {
  assert.ok(debuggerContrib.configurationSnippets.length >= 2);
  for (const snippet of debuggerContrib.configurationSnippets) {
    assert.ok(snippet.label.startsWith('Go Core Dump'), snippet.label);
    assert.ok(snippet.description);
    const config = expandSnippet(snippet.body);
    assert.equal(config.type, 'gocore');
    assert.equal(config.request, 'launch');
    assert.deepEqual(validate(launchSchema, config), [], snippet.label);
    assert.ok(!JSON.stringify(config).includes('${1'), 'placeholder left');
    assert.ok(config.coreFilePath.startsWith('${'), 'VS Code variable kept');
  }
});

test('the schema checker rejects wrong configurations', () => {
  assert.notDeepEqual(validate(launchSchema, { type: 'gocore' }), []);
  assert.notDeepEqual(validate(launchSchema, { coreFilePath: 1 }), []);
  assert.notDeepEqual(validate(launchSchema, { coreFilePath: 'c', stackTraceDepth: -1 }), []);
  assert.notDeepEqual(validate(launchSchema, { coreFilePath: 'c', stackTraceDepth: 1.5 }), []);
  assert.notDeepEqual(validate(launchSchema, { coreFilePath: 'c', substitutePath: [{ from: 'a' }] }), []);
  assert.notDeepEqual(validate(launchSchema, { coreFilePath: 'c', hideSystemGoroutines: 'yes' }), []);
  assert.deepEqual(validate(launchSchema, {
    coreFilePath: 'c', substitutePath: [{ from: 'a', to: 'b' }], maxStringLen: 10,
  }), []);
});

// ------------------------------------------------------------ interpreter

test('interpreter: the launch configuration\'s python comes first', async () => {
  state.settings['gocore.pythonPath'] = '/from/setting';
  state.extensions['ms-python.python'] = pythonExtension({
    environments: { getActiveEnvironmentPath: () => ({ path: '/from/ext' }) } });
  const got = await ext.findPython({ python: '/from/launch' }, folder);
  assert.equal(got.python, '/from/launch');
});

test('interpreter: then the setting gocore.pythonPath', async () => {
  state.settings['gocore.pythonPath'] = '/from/setting';
  state.extensions['ms-python.python'] = pythonExtension({
    environments: { getActiveEnvironmentPath: () => ({ path: '/from/ext' }) } });
  assert.equal((await ext.findPython({}, folder)).python, '/from/setting');
  assert.equal((await ext.findPython({ python: '  ' }, folder)).python, '/from/setting');
});

test('interpreter: then the Python extension\'s active environment', async () => {
  state.settings['gocore.pythonPath'] = '';
  let asked;
  state.extensions['ms-python.python'] = pythonExtension({
    environments: {
      getActiveEnvironmentPath: (resource) => { asked = resource; return { path: '/env/bin/python', id: 'x' }; },
      resolveEnvironment: async (env) => ({ executable: { uri: { fsPath: env.path + '3.12' } } }),
    },
  }, { active: false });
  const got = await ext.findPython({}, folder);
  assert.equal(got.python, '/env/bin/python3.12');
  assert.match(got.source, /Python extension/);
  assert.equal(asked, folder.uri);
});

test('interpreter: the Python extension\'s older settings API works too', async () => {
  state.extensions['ms-python.python'] = pythonExtension({
    settings: { getExecutionDetails: () => ({ execCommand: ['/old/api/python'] }) } });
  assert.equal((await ext.findPython({}, folder)).python, '/old/api/python');
});

test('interpreter: python3 when nothing else is there, and a broken Python extension is ignored', async () => {
  const fallback = process.platform === 'win32' ? 'python' : 'python3';
  assert.equal((await ext.findPython({}, folder)).python, fallback);
  state.extensions['ms-python.python'] = { isActive: false, activate: async () => { throw new Error('boom'); } };
  assert.equal((await ext.findPython({}, undefined)).python, fallback);
  state.extensions['ms-python.python'] = pythonExtension({
    environments: { getActiveEnvironmentPath: () => undefined } });
  assert.equal((await ext.findPython({}, folder)).python, fallback);
});

// ------------------------------------------------------------ the adapter

const PROBE_OK = JSON.stringify({ executable: '/venv/bin/python', version: '3.12.1',
  file: '/venv/lib/python3.12/site-packages/dapcore/__init__.py', dist: '0.1.0' });

function probeAnswer(answer) {
  const calls = [];
  const run = async (file, args, options) => {
    calls.push({ file, args, options });
    if (answer instanceof Error) throw answer;
    return { stdout: typeof answer === 'string' ? answer : JSON.stringify(answer), stderr: '' };
  };
  return { calls, run };
}

function tmpDir(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `gocore-${tag}-`));
}

test('descriptor: -P -m dapcore with the chosen interpreter, checked in the same cwd and env', async () => {
  const { calls, run } = probeAnswer(PROBE_OK);
  const factory = new ext.DescriptorFactory(run);
  const desc = await factory.createDebugAdapterDescriptor({
    configuration: { python: '/bin/cat', coreFilePath: '/c', cwd: os.tmpdir() },
    workspaceFolder: folder });
  assert.ok(desc instanceof vscode.DebugAdapterInlineImplementation);
  const adapter = desc.implementation;
  assert.ok(adapter instanceof ext.ChildDebugAdapter);
  assert.equal(adapter.command, '/bin/cat');
  assert.deepEqual(adapter.args, ['-P', '-m', 'dapcore']);
  assert.equal(adapter.cwd, os.tmpdir());
  adapter.dispose();
  assert.equal(calls.length, 1);
  assert.equal(calls[0].file, '/bin/cat');
  assert.deepEqual(calls[0].args.slice(0, 2), ['-P', '-c']);
  assert.equal(calls[0].options.cwd, os.tmpdir());
  assert.equal(calls[0].options.env, process.env);
  assert.deepEqual(state.errors, []);
  assert.ok(state.log.some((l) => /dapcore 0\.1\.0 at \/venv\/lib/.test(l)), state.log.join('\n'));
});

test('descriptor: no cwd (or a missing one) → the extension host\'s cwd for both', async () => {
  assert.equal(ext.adapterCwd({}), process.cwd());
  assert.equal(ext.adapterCwd({ cwd: '/no/such/dir/for/gocore' }), process.cwd());
  assert.equal(ext.adapterCwd({ cwd: __filename }), process.cwd());
  assert.equal(ext.adapterCwd({ cwd: __dirname }), __dirname);
});

test('descriptor: dapcore not importable → an error saying what to install', async () => {
  const { run } = probeAnswer({ executable: '/usr/bin/python3.11', version: '3.11.2', problem: 'missing',
    detail: "ModuleNotFoundError: No module named 'dapcore'" });
  const factory = new ext.DescriptorFactory(run);
  state.settings['gocore.pythonPath'] = '/usr/bin/python3.11';
  await assert.rejects(factory.createDebugAdapterDescriptor({ configuration: {}, workspaceFolder: folder }),
    /dapcore is not installed/);
  assert.equal(state.errors.length, 1);
  assert.match(state.errors[0], /\/usr\/bin\/python3\.11 -m pip install dapcore/);
  assert.match(state.errors[0], /pip install \/path\/to\/dapcore/);
  assert.match(state.errors[0], /from the setting gocore\.pythonPath/);
  // the setting is read in every kind of settings: the message may name it
  assert.match(state.errors[0], /set "gocore\.pythonPath" in your settings \(User, Remote or Workspace\)/);
});

test('package.json: gocore.pythonPath is read from User settings in remote windows too', () => {
  const prop = pkg.contributes.configuration.properties['gocore.pythonPath'];
  // machine and machine-overridable settings are ignored in User settings in
  // remote windows (code-server, Remote-SSH, WSL); application ones in
  // Remote settings and workspaces
  assert.ok(['resource', 'window'].includes(prop.scope), prop.scope);
});

test('descriptor: a dependency of dapcore missing, or dapcore broken → said so, with the reinstall', async () => {
  const { run } = probeAnswer({ executable: '/v/python', version: '3.12.0', problem: 'broken',
    file: '/v/site-packages/dapcore/__init__.py', detail: "ModuleNotFoundError: No module named 'anyio'" });
  const msg = await ext.checkDapcore('/v/python', 'a test', {}, run);
  assert.match(msg, /dapcore at \/v\/site-packages\/dapcore cannot start with "\/v\/python"/);
  assert.match(msg, /No module named 'anyio'/);
  assert.match(msg, /--force-reinstall dapcore/);
});

test('descriptor: a namespace folder named dapcore on the path is not taken for dapcore', async () => {
  const { run } = probeAnswer({ executable: '/v/python', version: '3.12.0', problem: 'namespace',
    file: null, path: ['/home/u/src/dapcore'] });
  const msg = await ext.checkDapcore('/v/python', 'a test', {}, run);
  assert.match(msg, /finds a folder named dapcore at \/home\/u\/src\/dapcore, which is not an installed dapcore/);
});

test('descriptor: Python older than 3.11 (no -P) is named as too old', async () => {
  const calls = [];
  const run = async (file, args) => {
    calls.push(args);
    if (args[0] === '-P') {
      const err = new Error('Command failed'); err.code = 2;
      err.stderr = 'Unknown option: -P\nusage: python3 [option] ...\n'; throw err;
    }
    return { stdout: '3.9\n', stderr: '' };
  };
  const msg = await ext.checkDapcore('/old/python', 'a test', {}, run);
  assert.match(msg, /"\/old\/python" \(from a test\) is too old \(it is Python 3\.9\): dapcore needs Python 3\.11/);
});

test('descriptor: a missing interpreter is named', async () => {
  const factory = new ext.DescriptorFactory();
  await assert.rejects(factory.createDebugAdapterDescriptor({
    configuration: { python: '/no/such/python-for-gocore' } }), /was not found/);
  assert.match(state.errors[0], /"\/no\/such\/python-for-gocore" \(from the launch configuration's "python"\) was not found/);
});

test('descriptor: a real interpreter without dapcore (python3 -I: isolated, no site-packages)', async () => {
  // the real check against an interpreter that cannot see dapcore
  const msg = await ext.checkDapcore(process.env.GOCORE_TEST_PYTHON_WITHOUT_DAPCORE || 'false', 'a test');
  assert.match(msg, /dapcore is not installed for|could not be run/);
  if (process.env.GOCORE_TEST_PYTHON) {
    assert.equal(await ext.checkDapcore(process.env.GOCORE_TEST_PYTHON, 'a test'), undefined);
  }
});

test('a stray dapcore/ folder in the cwd is never imported: not by the check, not by the adapter',
  { skip: !process.env.GOCORE_TEST_PYTHON_WITHOUT_DAPCORE && 'GOCORE_TEST_PYTHON_WITHOUT_DAPCORE unset' },
  async () => {
    const dir = tmpDir('stray');
    try {
      // a checkout-like folder that `python -c "import dapcore"` would import from the cwd
      fs.mkdirSync(path.join(dir, 'dapcore'));
      fs.writeFileSync(path.join(dir, 'dapcore', '__init__.py'), '');
      const bare = process.env.GOCORE_TEST_PYTHON_WITHOUT_DAPCORE;
      const msg = await ext.checkDapcore(bare, 'a test', { cwd: dir });
      assert.match(msg, /dapcore is not installed for/);
      assert.match(msg, /the folder .*dapcore is not used: the adapter runs with -P/);
      if (process.env.GOCORE_TEST_PYTHON) {
        // with dapcore installed, the installed one is found, not the folder
        let info;
        assert.equal(await ext.checkDapcore(process.env.GOCORE_TEST_PYTHON, 'a test', { cwd: dir },
          undefined, (i) => { info = i; }), undefined);
        assert.ok(!info.file.startsWith(dir), info.file);
      }
      // the same folder as a namespace package through PYTHONPATH
      fs.unlinkSync(path.join(dir, 'dapcore', '__init__.py'));
      const env = { ...process.env, PYTHONPATH: dir };
      const ns = await ext.checkDapcore(bare, 'a test', { cwd: os.tmpdir(), env });
      assert.match(ns, /finds a folder named dapcore at .*, which is not an installed dapcore/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

// ------------------------------------------------------------ the adapter process

/** Starts a ChildDebugAdapter on `node -e script`, collecting what it sends. */
function startAdapter(script, cwd = os.tmpdir()) {
  const adapter = new ext.ChildDebugAdapter(process.execPath, ['-e', script], { cwd });
  const sent = [];
  const waiters = [];
  adapter.onDidSendMessage((m) => {
    sent.push(m);
    for (const w of [...waiters]) if (w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
  });
  const waitFor = (pred, ms = 10000) => new Promise((resolve, reject) => {
    const hit = sent.find(pred);
    if (hit) return resolve(hit);
    const timer = setTimeout(() => reject(new Error(`timeout; got ${JSON.stringify(sent)}`)), ms);
    waiters.push({ pred, resolve: (m) => { clearTimeout(timer); resolve(m); } });
  });
  return { adapter, sent, waitFor };
}

// an adapter that answers initialize, then dies on launch with a traceback
const DYING = `
let buf = '';
const send = (m) => { const j = JSON.stringify(m); process.stdout.write('Content-Length: ' + Buffer.byteLength(j) + '\\r\\n\\r\\n' + j); };
process.stdin.on('data', (d) => {
  buf += d;
  for (;;) {
    const h = buf.indexOf('\\r\\n\\r\\n'); if (h < 0) return;
    const n = Number(/Content-Length: (\\d+)/.exec(buf.slice(0, h))[1]);
    if (buf.length < h + 4 + n) return;
    const req = JSON.parse(buf.slice(h + 4, h + 4 + n)); buf = buf.slice(h + 4 + n);
    if (req.command === 'initialize') send({ type: 'response', seq: 1, request_seq: req.seq, command: 'initialize', success: true, body: { supportsConfigurationDoneRequest: true } });
    if (req.command === 'launch') { process.stderr.write('Traceback (most recent call last):\\nImportError: cannot import name x\\n'); process.exit(3); }
  }
});`;

test('adapter process: DAP framing both ways (a message split over writes, two in one)', async () => {
  const echo = `
let buf = Buffer.alloc(0);
process.stdin.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  const h = buf.indexOf('\\r\\n\\r\\n'); if (h < 0) return;
  const n = Number(/Content-Length: (\\d+)/.exec(buf.subarray(0, h).toString())[1]);
  if (buf.length < h + 4 + n) return;
  const req = JSON.parse(buf.subarray(h + 4, h + 4 + n)); buf = buf.subarray(h + 4 + n);
  const a = JSON.stringify({ type: 'response', seq: 1, request_seq: req.seq, command: req.command, success: true, body: { echo: req.arguments.text } });
  const b = JSON.stringify({ type: 'event', seq: 2, event: 'output', body: { output: 'é✓' } });
  const all = 'Content-Length: ' + Buffer.byteLength(a) + '\\r\\n\\r\\n' + a + 'Content-Length: ' + Buffer.byteLength(b) + '\\r\\n\\r\\n' + b;
  const bytes = Buffer.from(all); process.stdout.write(bytes.subarray(0, 7)); setTimeout(() => process.stdout.write(bytes.subarray(7)), 50);
});`;
  const { adapter, waitFor } = startAdapter(echo);
  adapter.handleMessage({ type: 'request', seq: 5, command: 'evaluate', arguments: { text: 'ünïcode' } });
  const r = await waitFor((m) => m.type === 'response');
  assert.equal(r.body.echo, 'ünïcode');
  const e = await waitFor((m) => m.type === 'event');
  assert.equal(e.body.output, 'é✓');
  adapter.handleMessage({ type: 'request', seq: 6, command: 'disconnect', arguments: {} });
  adapter.dispose();
});

test('adapter process: dying early shows its stderr and exit code, answers what is pending, ends the session', async () => {
  const { adapter, sent, waitFor } = startAdapter(DYING);
  adapter.handleMessage({ type: 'request', seq: 1, command: 'initialize', arguments: {} });
  await waitFor((m) => m.type === 'response' && m.command === 'initialize');
  adapter.handleMessage({ type: 'request', seq: 2, command: 'launch', arguments: {} });
  const launch = await waitFor((m) => m.type === 'response' && m.command === 'launch');
  assert.equal(launch.success, false);
  assert.equal(launch.request_seq, 2);
  assert.match(launch.message, /exited with code 3: ImportError: cannot import name x/);
  await waitFor((m) => m.event === 'terminated');
  const outputs = sent.filter((m) => m.event === 'output').map((m) => m.body.output).join('');
  assert.match(outputs, /Traceback \(most recent call last\):\nImportError: cannot import name x\n/);
  assert.match(outputs, /Go Core Dump: the debug adapter \(.* -e .*\) exited with code 3 before the session ended \(working directory /);
  assert.ok(sent.filter((m) => m.event === 'output').every((m) => m.body.category === 'stderr'));
  // the order: output before the error response and the terminated event
  const order = sent.map((m) => m.event || m.command);
  assert.ok(order.indexOf('output') < order.indexOf('launch'), order.join());
  assert.ok(order.indexOf('launch') < order.indexOf('terminated'), order.join());
  // requests after the death are answered at once; disconnect succeeds
  adapter.handleMessage({ type: 'request', seq: 3, command: 'threads', arguments: {} });
  const threads = await waitFor((m) => m.type === 'response' && m.command === 'threads');
  assert.equal(threads.success, false);
  adapter.handleMessage({ type: 'request', seq: 4, command: 'disconnect', arguments: {} });
  const disc = await waitFor((m) => m.type === 'response' && m.command === 'disconnect');
  assert.equal(disc.success, true);
  assert.equal(sent.filter((m) => m.event === 'terminated').length, 1);
  adapter.dispose();
});

test('adapter process: an interpreter that cannot be started is reported, the session ends', async () => {
  const adapter = new ext.ChildDebugAdapter('/no/such/python-for-gocore', ['-P', '-m', 'dapcore'], { cwd: os.tmpdir() });
  const sent = [];
  adapter.onDidSendMessage((m) => sent.push(m));
  adapter.handleMessage({ type: 'request', seq: 1, command: 'initialize', arguments: {} });
  for (let i = 0; i < 100 && !sent.some((m) => m.event === 'terminated'); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const init = sent.find((m) => m.command === 'initialize');
  assert.equal(init.success, false);
  assert.match(init.message, /could not be started \(.*ENOENT/);
  assert.ok(sent.some((m) => m.event === 'terminated'));
});

test('adapter process: exiting after disconnect is quiet', async () => {
  const quiet = `process.stdin.on('data', () => { process.stderr.write('bye\\n'); process.exit(0); });`;
  const { adapter, sent } = startAdapter(quiet);
  adapter.handleMessage({ type: 'request', seq: 1, command: 'disconnect', arguments: {} });
  await new Promise((resolve) => adapter.child.on('close', resolve));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(sent.filter((m) => m.event === 'output' || m.event === 'terminated'), []);
  adapter.dispose();
});

test('adapter process: ending the session itself (terminated, exit 0) is quiet too', async () => {
  const ends = `process.stdin.on('data', () => { const j = JSON.stringify({ type: 'event', seq: 1, event: 'terminated' });
process.stdout.write('Content-Length: ' + j.length + '\\r\\n\\r\\n' + j); process.stderr.write('INFO session ended\\n'); setTimeout(() => process.exit(0), 20); });`;
  const { adapter, sent, waitFor } = startAdapter(ends);
  adapter.handleMessage({ type: 'request', seq: 1, command: 'launch', arguments: {} });
  await waitFor((m) => m.event === 'terminated');
  await new Promise((resolve) => adapter.child.on('close', resolve));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(sent.filter((m) => m.event === 'output'), []);
  assert.equal(sent.filter((m) => m.event === 'terminated').length, 1);
  const launch = sent.find((m) => m.command === 'launch');
  assert.equal(launch.success, false); // never answered by the adapter: answered for it
  adapter.dispose();
});

test('adapter process: a real dapcore session through the inline adapter',
  { skip: !process.env.GOCORE_TEST_PYTHON && 'GOCORE_TEST_PYTHON unset' }, async () => {
    const dir = tmpDir('real');
    try {
      // a stray, broken dapcore/ in the adapter's cwd must not be imported
      fs.mkdirSync(path.join(dir, 'dapcore'));
      fs.writeFileSync(path.join(dir, 'dapcore', '__init__.py'), 'raise SystemExit("stray dapcore imported")\n');
      const adapter = new ext.ChildDebugAdapter(process.env.GOCORE_TEST_PYTHON, ext.ADAPTER_ARGS, { cwd: dir });
      const sent = [];
      adapter.onDidSendMessage((m) => sent.push(m));
      adapter.handleMessage({ type: 'request', seq: 1, command: 'initialize',
        arguments: { adapterID: 'gocore', linesStartAt1: true, columnsStartAt1: true } });
      adapter.handleMessage({ type: 'request', seq: 2, command: 'launch',
        arguments: { coreFilePath: path.join(dir, 'no-such-core') } });
      for (let i = 0; i < 500 && !sent.some((m) => m.command === 'launch'); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const init = sent.find((m) => m.command === 'initialize');
      assert.ok(init && init.success, JSON.stringify(sent));
      const launch = sent.find((m) => m.command === 'launch');
      assert.equal(launch.success, false);
      assert.match(launch.message, /no-such-core/);
      adapter.handleMessage({ type: 'request', seq: 3, command: 'disconnect', arguments: {} });
      for (let i = 0; i < 250 && !sent.some((m) => m.command === 'disconnect'); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(sent.some((m) => m.command === 'disconnect' && m.success));
      adapter.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

// ------------------------------------------------------------ configurations

test('resolve: F5 without launch.json picks the core, then the executable', async () => {
  const provider = new ext.ConfigurationProvider();
  state.openDialogAnswers.push('/tmp/does-not-exist/core.123', '/ws/bin/server');
  const config = await provider.resolveDebugConfiguration(folder, {});
  assert.deepEqual(config, {
    type: 'gocore', request: 'launch', name: 'Go core: core.123',
    coreFilePath: '/tmp/does-not-exist/core.123', program: '/ws/bin/server', cwd: '/ws' });
});

test('resolve: cancelling the pick cancels the session', async () => {
  const provider = new ext.ConfigurationProvider();
  assert.equal(await provider.resolveDebugConfiguration(folder, {}), undefined);
  state.openDialogAnswers.push('/some/core');
  assert.equal(await provider.resolveDebugConfiguration(folder, {}), undefined);
});

test('resolve: a launch.json configuration is kept, with defaults filled in', async () => {
  const provider = new ext.ConfigurationProvider();
  const given = { type: 'gocore', request: 'launch', name: 'n', coreFilePath: '${workspaceFolder}/core',
    program: '${workspaceFolder}/bin', hideSystemGoroutines: true };
  assert.deepEqual(await provider.resolveDebugConfiguration(folder, given), { ...given, cwd: '/ws' });
  const withCwd = { ...given, cwd: '/elsewhere' };
  assert.deepEqual(await provider.resolveDebugConfiguration(folder, withCwd), withCwd);
  assert.equal(state.openDialogCalls.length, 0);
  // vscode-go's core configuration works after changing its type; `attach` too
  const attach = { type: 'gocore', request: 'attach', name: 'a', mode: 'core', coreFilePath: '/c', program: '/p' };
  assert.deepEqual(await provider.resolveDebugConfiguration(undefined, attach), attach);
});

test('resolve: a configuration without coreFilePath asks for it', async () => {
  const provider = new ext.ConfigurationProvider();
  state.openDialogAnswers.push('/cores/core.9');
  const config = await provider.resolveDebugConfiguration(folder, {
    type: 'gocore', request: 'launch', name: 'x', program: '/bin/p' });
  assert.equal(config.coreFilePath, '/cores/core.9');
  assert.equal(config.program, '/bin/p');
  assert.equal(config.name, 'x');
});

test('dynamic configurations offer opening a core', () => {
  const provider = new ext.ConfigurationProvider();
  const configs = provider.provideDebugConfigurations(folder);
  assert.equal(configs.length, 1);
  assert.deepEqual(validate(launchSchema, configs[0]), []);
  assert.equal(configs[0].coreFilePath, '${command:gocore.pickCoreFile}');
});

test('after substitution: a picked core whose executable is gone asks for it', async () => {
  const provider = new ext.ConfigurationProvider();
  // a directory of its own: executables lying next to the core in the
  // shared temporary directory would be offered instead of asking
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocore-test-'));
  const core = path.join(dir, 'not-a-core');
  fs.writeFileSync(core, 'not an ELF file');
  try {
    state.openDialogAnswers.push('/picked/program');
    const config = await provider.resolveDebugConfigurationWithSubstitutedVariables(folder,
      { type: 'gocore', request: 'launch', name: 'n', coreFilePath: core });
    assert.equal(config.program, '/picked/program');
    assert.equal(await provider.resolveDebugConfigurationWithSubstitutedVariables(folder,
      { type: 'gocore', request: 'launch', name: 'n', coreFilePath: '' }), undefined);
    const given = { type: 'gocore', request: 'launch', name: 'n', coreFilePath: core, program: '/p' };
    assert.deepEqual(await provider.resolveDebugConfigurationWithSubstitutedVariables(folder, given),
      { ...given, maxThreads: ext.DEFAULT_MAX_THREADS });
    // maxThreads given (0: every goroutine) is kept
    const all = { ...given, maxThreads: 0 };
    assert.deepEqual(await provider.resolveDebugConfigurationWithSubstitutedVariables(folder, all), all);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('activate registers the factory, both providers and the commands', () => {
  const context = { subscriptions: [] };
  ext.activate(context);
  assert.equal(context.subscriptions.length, 13);
  const kinds = state.registered.map((r) => `${r.kind}:${r.type}:${r.trigger || ''}`);
  assert.deepEqual(kinds.sort(), ['factory:gocore:', 'provider:gocore:', 'provider:gocore:2',
    'tracker:gocore:', 'view:dapcore.goroutines:']);
  assert.ok(state.commands['gocore.openCoreFile']);
  assert.ok(state.commands['gocore.pickCoreFile']);
  for (const id of Object.keys(state.commands)) {
    assert.ok(pkg.activationEvents.includes(`onCommand:${id}`), id);
  }
});

test('Open Core File…: starts a session without launch.json', async () => {
  state.workspaceFolders = [folder];
  state.openDialogAnswers.push('/cores/core.1', '/bin/prog');
  assert.equal(await ext.openCoreFile(), true);
  assert.equal(state.started.length, 1);
  assert.equal(state.started[0].folder, folder);
  assert.deepEqual(state.started[0].config, {
    type: 'gocore', request: 'launch', name: 'Go core: core.1',
    coreFilePath: '/cores/core.1', program: '/bin/prog', cwd: '/ws' });
  assert.deepEqual(validate(launchSchema, state.started[0].config), []);
  state.reset();
  assert.equal(await ext.openCoreFile(), false); // cancelled
  assert.equal(state.started.length, 0);
});
