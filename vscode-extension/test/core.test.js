'use strict';
// The executable named in a real Go core (the factory's demo core, unpacked
// by tests/test_vscode_extension.py into GOCORE_TEST_CORE), as dapcore (run
// with GOCORE_TEST_PYTHON) reads it.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');

const vscode = require('./vscode-stub');
const ext = require('../extension');

const state = vscode.__state;
const core = process.env.GOCORE_TEST_CORE;
const named = process.env.GOCORE_TEST_CORE_EXECUTABLE;
const python = process.env.GOCORE_TEST_PYTHON;

// the interpreter the extension runs dapcore with (as the setting gives it)
test.beforeEach(() => {
  state.reset();
  if (python) state.settings['gocore.pythonPath'] = python;
});

async function namedIn(file) {
  return (await ext.coreExecutableInfo(python, file)).named;
}

test('a real core: the executable it names', { skip: !(core && python) && 'GOCORE_TEST_CORE/GOCORE_TEST_PYTHON unset' }, async () => {
  assert.equal(await namedIn(core), named);
});

test('not a core: nothing named', { skip: !python && 'GOCORE_TEST_PYTHON unset' }, async () => {
  const f = path.join(os.tmpdir(), `gocore-elf-${process.pid}`);
  fs.writeFileSync(f, Buffer.from('\x7fELF\x02\x01\x01' + '\0'.repeat(100), 'binary'));
  try {
    assert.equal(await namedIn(f), undefined);
    assert.equal(await namedIn('/no/such/core'), undefined);
    assert.equal(await namedIn(__filename), undefined);
    // no dapcore to ask: nothing named either
    assert.deepEqual(await ext.coreExecutableInfo('/no/such/python', core || f), { nextTo: [] });
  } finally {
    fs.unlinkSync(f);
  }
});

test('a core naming an existing executable: proposed, program left unset', { skip: !(core && python) && 'GOCORE_TEST_CORE/GOCORE_TEST_PYTHON unset' }, async () => {
  const provider = new ext.ConfigurationProvider();
  const folder = { uri: vscode.Uri.file('/ws') };
  if (fs.existsSync(named)) {
    state.quickPickAnswers.push((items) => items[0]);
    state.openDialogAnswers.push(core);
    const config = await provider.resolveDebugConfiguration(folder, {});
    assert.equal(state.quickPickCalls.length, 1);
    assert.equal(state.quickPickCalls[0].items[0].label, named);
    assert.equal(config.coreFilePath, core);
    assert.equal('program' in config, false);
    // after substitution nothing more is asked (the default maxThreads is added)
    const again = await provider.resolveDebugConfigurationWithSubstitutedVariables(folder, config);
    assert.deepEqual(again, { ...config, maxThreads: ext.DEFAULT_MAX_THREADS });
    // choosing another executable
    state.quickPickAnswers.push((items) => items[1]);
    state.openDialogAnswers.push(core, '/other/exe');
    const other = await provider.resolveDebugConfiguration(folder, {});
    assert.equal(other.program, '/other/exe');
  } else {
    state.openDialogAnswers.push(core, '/copy/of/exe');
    const config = await provider.resolveDebugConfiguration(folder, {});
    assert.equal(state.quickPickCalls.length, 0);
    assert.match(state.openDialogCalls[1].title, /the core names .*, which does not exist here/);
    assert.equal(config.program, '/copy/of/exe');
  }
});

// The demo's executable (dapcore/demo/demo.xz), unpacked next to a link to
// the demo core: what "Open Core File…" proposes when the path the core
// names does not exist here.
const demoXz = path.join(__dirname, '..', '..', 'dapcore', 'demo', 'demo.xz');

function coreDirWithExecutables() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocore-next-'));
  const link = path.join(dir, 'core');
  fs.symlinkSync(core, link);
  const exe = path.join(dir, 'server');
  const { execFileSync } = require('child_process');
  execFileSync(python, ['-c', 'import lzma, sys; open(sys.argv[2], "wb").write(lzma.decompress(open(sys.argv[1], "rb").read()))',
    demoXz, exe]);
  fs.chmodSync(exe, 0o755);
  // another executable, newer, of another build; a script and a plain file
  const other = path.join(dir, 'other-tool');
  fs.copyFileSync('/bin/true', other);
  fs.chmodSync(other, 0o755);
  const later = new Date(Date.now() + 60000);
  fs.utimesSync(other, later, later);
  fs.writeFileSync(path.join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'x');
  return { dir, link, exe, other };
}

const withDemo = core && python && fs.existsSync(demoXz) && fs.existsSync('/bin/true');

test('the Go build ID: the core\'s copy of the first page and the executable\'s note agree',
  { skip: !withDemo && 'GOCORE_TEST_CORE/GOCORE_TEST_PYTHON unset' }, async () => {
    const { dir, link, exe, other } = coreDirWithExecutables();
    try {
      const info = await ext.coreExecutableInfo(python, link);
      assert.equal(info.named, named);
      assert.match(info.goBuildId, /^[\w-]+\/[\w-]+\/[\w-]+\/[\w-]+$/);
      const byPath = Object.fromEntries(info.nextTo.map((c) => [c.path, c]));
      assert.equal(byPath[exe].goBuildId, info.goBuildId);
      assert.equal(byPath[other].goBuildId, null); // a copy of /bin/true: no Go build ID
      assert.equal(path.join(dir, 'run.sh') in byPath, false); // not an ELF file
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

test('executables next to the core: same Go build first, then newest; no scripts, files or the core',
  { skip: !withDemo && 'GOCORE_TEST_CORE/GOCORE_TEST_PYTHON unset' }, async () => {
    const { dir, link, exe, other } = coreDirWithExecutables();
    try {
      const found = (await ext.coreExecutableInfo(python, link)).nextTo;
      assert.deepEqual(found.map((c) => c.path), [exe, other]);
      assert.equal(found[0].match, true);
      assert.equal(found[1].match, false);
      // without a build ID to compare (not a core): newest first
      const notCore = path.join(dir, 'notes.txt');
      assert.deepEqual((await ext.coreExecutableInfo(python, notCore)).nextTo.map((c) => c.path),
        [other, exe]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

test('Open Core File…: the core names a missing path → existing executables proposed, the missing path said',
  { skip: !withDemo && 'GOCORE_TEST_CORE/GOCORE_TEST_PYTHON unset' }, async () => {
    if (fs.existsSync(named)) return; // the demo core names its build machine's path
    const { dir, link, exe, other } = coreDirWithExecutables();
    try {
      state.workspaceFolders = [{ uri: vscode.Uri.file(dir), name: 'd', index: 0 }];
      state.openDialogAnswers.push(link);
      state.quickPickAnswers.push((items) => items[0]);
      assert.equal(await ext.openCoreFile(), true);
      const { items, options } = state.quickPickCalls[0];
      assert.deepEqual(items.map((i) => i.label), [exe, other, 'Choose the executable…']);
      assert.match(items[0].description, /next to the core · same Go build ID as the core/);
      assert.match(items[1].description, /next to the core/);
      assert.equal(options.title, `Go Core Dump: the executable that produced core (the core names ${named}, which does not exist here)`);
      assert.match(options.placeHolder, /the executable the core names is not here/i);
      assert.equal(state.started[0].config.program, exe);
      assert.equal(state.started[0].config.coreFilePath, link);
      // "Choose the executable…" still opens the file dialog
      state.reset();
      state.openDialogAnswers.push(link, '/elsewhere/server');
      state.quickPickAnswers.push((items2) => items2[items2.length - 1]);
      const config = await ext.interactiveConfiguration(undefined, {});
      assert.equal(config.program, '/elsewhere/server');
      assert.match(state.openDialogCalls[1].title, /which does not exist here/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

test('the executable the core names, when it exists, comes first', { skip: !python && 'GOCORE_TEST_PYTHON unset' }, async () => {
  // a fake core naming an existing file: built in memory (ELF64 core with
  // NT_FILE and auxv notes), its directory holding another executable
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gocore-fake-'));
  try {
    const exe = path.join(dir, 'prog');
    fs.copyFileSync('/bin/true', exe);
    fs.chmodSync(exe, 0o755);
    const fake = path.join(dir, 'core');
    fs.writeFileSync(fake, fakeCore(exe, 0x400000n, 0x401000n, 0x400100n));
    assert.equal(await namedIn(fake), exe);
    state.quickPickAnswers.push((items) => items[0]);
    assert.equal(await ext.pickProgram(fake), null);
    const { items, options } = state.quickPickCalls[0];
    assert.deepEqual(items.map((i) => i.label), [exe, 'Choose the executable…']);
    assert.equal(items[0].description, 'named in the core');
    assert.doesNotMatch(options.title, /does not exist/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A minimal little-endian x86-64 core: one PT_NOTE with NT_PRSTATUS (one
 *  thread, registers zero), NT_FILE (one mapping of `file` at [start, end))
 *  and NT_AUXV (AT_ENTRY = entry). */
function fakeCore(file, start, end, entry) {
  const note = (type, desc) => {
    const name = Buffer.from('CORE\0\0\0\0');
    const head = Buffer.alloc(12);
    head.writeUInt32LE(5, 0);
    head.writeUInt32LE(desc.length, 4);
    head.writeUInt32LE(type, 8);
    const pad = Buffer.alloc((4 - (desc.length % 4)) % 4);
    return Buffer.concat([head, name, desc, pad]);
  };
  const nt = Buffer.alloc(16 + 24);
  nt.writeBigUInt64LE(1n, 0);
  nt.writeBigUInt64LE(4096n, 8);
  nt.writeBigUInt64LE(start, 16);
  nt.writeBigUInt64LE(end, 24);
  nt.writeBigUInt64LE(0n, 32);
  const ntFile = Buffer.concat([nt, Buffer.from(file + '\0')]);
  const auxv = Buffer.alloc(32);
  auxv.writeBigUInt64LE(9n, 0);
  auxv.writeBigUInt64LE(entry, 8);
  const prstatus = Buffer.alloc(336); // struct elf_prstatus on x86-64
  const notes = Buffer.concat([note(1, prstatus), note(0x46494c45, ntFile), note(6, auxv)]);
  const eh = Buffer.alloc(64);
  eh.writeUInt32BE(0x7f454c46, 0);
  eh[4] = 2; eh[5] = 1; eh[6] = 1;
  eh.writeUInt16LE(4, 16); // ET_CORE
  eh.writeUInt16LE(62, 18);
  eh.writeBigUInt64LE(64n, 32); // phoff
  eh.writeUInt16LE(64, 52);
  eh.writeUInt16LE(56, 54);
  eh.writeUInt16LE(1, 56);
  const ph = Buffer.alloc(56);
  ph.writeUInt32LE(4, 0); // PT_NOTE
  ph.writeBigUInt64LE(BigInt(64 + 56), 8);
  ph.writeBigUInt64LE(BigInt(notes.length), 32);
  return Buffer.concat([eh, ph, notes]);
}
