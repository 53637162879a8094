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
  const launchPy = fs.readFileSync(
    path.join(__dirname, '..', '..', 'dapcore', 'dap', 'launch.py'), 'utf8');
  const parse = launchPy.slice(launchPy.indexOf('def parse('), launchPy.indexOf('def _check_file'));
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

test('descriptor: python -m dapcore with the chosen interpreter', async () => {
  const calls = [];
  const factory = new ext.DescriptorFactory(async (file, args) => { calls.push([file, args]); return {}; });
  const desc = await factory.createDebugAdapterDescriptor({
    configuration: { python: '/venv/bin/python', coreFilePath: '/c', cwd: os.tmpdir() },
    workspaceFolder: folder });
  assert.ok(desc instanceof vscode.DebugAdapterExecutable);
  assert.equal(desc.command, '/venv/bin/python');
  assert.deepEqual(desc.args, ['-m', 'dapcore']);
  assert.equal(desc.options.cwd, os.tmpdir());
  assert.deepEqual(calls, [['/venv/bin/python', ['-c', 'import dapcore']]]);
  assert.deepEqual(state.errors, []);
});

test('descriptor: dapcore not importable → an error saying what to install', async () => {
  const factory = new ext.DescriptorFactory(async () => {
    const err = new Error('exit 1'); err.code = 1; throw err;
  });
  state.settings['gocore.pythonPath'] = '/usr/bin/python3.11';
  await assert.rejects(factory.createDebugAdapterDescriptor({ configuration: {}, workspaceFolder: folder }),
    /dapcore is not installed/);
  assert.equal(state.errors.length, 1);
  assert.match(state.errors[0], /\/usr\/bin\/python3\.11 -m pip install dapcore/);
  assert.match(state.errors[0], /pip install \/path\/to\/dapcore/);
  assert.match(state.errors[0], /gocore\.pythonPath/);
});

test('descriptor: a missing interpreter is named', async () => {
  const factory = new ext.DescriptorFactory();
  await assert.rejects(factory.createDebugAdapterDescriptor({
    configuration: { python: '/no/such/python-for-gocore' } }), /was not found/);
  assert.match(state.errors[0], /"\/no\/such\/python-for-gocore" \(from the launch configuration's "python"\) was not found/);
});

test('descriptor: a real interpreter without dapcore (python3 -I: isolated, no site-packages)', async () => {
  // the real import check against an interpreter that cannot see dapcore
  const msg = await ext.checkDapcore(process.env.GOCORE_TEST_PYTHON_WITHOUT_DAPCORE || 'false', 'a test');
  assert.match(msg, /dapcore is not installed for/);
  if (process.env.GOCORE_TEST_PYTHON) {
    assert.equal(await ext.checkDapcore(process.env.GOCORE_TEST_PYTHON, 'a test'), undefined);
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
  const core = path.join(os.tmpdir(), `gocore-not-a-core-${process.pid}`);
  fs.writeFileSync(core, 'not an ELF file');
  try {
    state.openDialogAnswers.push('/picked/program');
    const config = await provider.resolveDebugConfigurationWithSubstitutedVariables(folder,
      { type: 'gocore', request: 'launch', name: 'n', coreFilePath: core });
    assert.equal(config.program, '/picked/program');
    assert.equal(await provider.resolveDebugConfigurationWithSubstitutedVariables(folder,
      { type: 'gocore', request: 'launch', name: 'n', coreFilePath: '' }), undefined);
    const given = { type: 'gocore', request: 'launch', name: 'n', coreFilePath: core, program: '/p' };
    assert.deepEqual(await provider.resolveDebugConfigurationWithSubstitutedVariables(folder, given), given);
  } finally {
    fs.unlinkSync(core);
  }
});

test('activate registers the factory, both providers and the commands', () => {
  const context = { subscriptions: [] };
  ext.activate(context);
  assert.equal(context.subscriptions.length, 5);
  const kinds = state.registered.map((r) => `${r.kind}:${r.type}:${r.trigger || ''}`);
  assert.deepEqual(kinds.sort(), ['factory:gocore:', 'provider:gocore:', 'provider:gocore:2']);
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
