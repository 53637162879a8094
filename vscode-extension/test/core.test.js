'use strict';
// The executable named in a real Go core (the factory's demo core, unpacked
// by tests/test_vscode_extension.py into GOCORE_TEST_CORE).
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

test.beforeEach(() => state.reset());

test('a real core: the executable it names', { skip: !core && 'GOCORE_TEST_CORE unset' }, () => {
  assert.equal(ext.executableNamedInCore(core), named);
});

test('not a core: nothing named', () => {
  const f = path.join(os.tmpdir(), `gocore-elf-${process.pid}`);
  fs.writeFileSync(f, Buffer.from('\x7fELF\x02\x01\x01' + '\0'.repeat(100), 'binary'));
  try {
    assert.equal(ext.executableNamedInCore(f), undefined);
    assert.equal(ext.executableNamedInCore('/no/such/core'), undefined);
    assert.equal(ext.executableNamedInCore(__filename), undefined);
  } finally {
    fs.unlinkSync(f);
  }
});

test('a core naming an existing executable: proposed, program left unset', { skip: !core && 'GOCORE_TEST_CORE unset' }, async () => {
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
    // after substitution nothing more is asked
    const again = await provider.resolveDebugConfigurationWithSubstitutedVariables(folder, config);
    assert.deepEqual(again, config);
    // choosing another executable
    state.quickPickAnswers.push((items) => items[1]);
    state.openDialogAnswers.push(core, '/other/exe');
    const other = await provider.resolveDebugConfiguration(folder, {});
    assert.equal(other.program, '/other/exe');
  } else {
    state.openDialogAnswers.push(core, '/copy/of/exe');
    const config = await provider.resolveDebugConfiguration(folder, {});
    assert.equal(state.quickPickCalls.length, 0);
    assert.match(state.openDialogCalls[1].title, /not found here/);
    assert.equal(config.program, '/copy/of/exe');
  }
});
