'use strict';
// The Goroutines view's pieces that need no debug session: its contribution
// in package.json and the filter box's parsing. The view against a real
// dapcore session is tests/test_e2e_vscode.py's (code-server).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');

require('./vscode-stub');
const { parseFilter, VIEW_ID } = require('../goroutines');

const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));

test('the Goroutines view is in Run and Debug, shown for gocore sessions', () => {
  const view = pkg.contributes.views.debug.find((v) => v.id === VIEW_ID);
  assert.equal(view.name, 'Goroutines');
  assert.equal(view.when, 'debugType == gocore');
  // collapsed until opened: grouping a 100,000-goroutine core takes seconds
  // of the adapter's time, which the stop's own requests should not wait for
  assert.equal(view.visibility, 'collapsed');
  const titles = pkg.contributes.menus['view/title'].filter((m) => m.when === `view == ${VIEW_ID}`)
    .map((m) => m.command);
  assert.deepEqual(titles.sort(), ['dapcore.goroutines.filter', 'dapcore.goroutines.refresh']);
  for (const id of ['dapcore.goroutines.filter', 'dapcore.goroutines.refresh',
    'dapcore.goroutines.focus', 'dapcore.goroutines.more']) {
    assert.ok(pkg.contributes.commands.some((c) => c.command === id), id);
    assert.ok(pkg.activationEvents.includes(`onCommand:${id}`), id);
  }
});

test('filter words become the request\'s filter object', () => {
  assert.deepEqual(parseFilter(''), {});
  assert.deepEqual(parseFilter('status=waiting function=main.*'),
    { status: 'waiting', function: 'main.*' });
  assert.deepEqual(parseFilter('reason="chan receive" package=net/http'),
    { reason: 'chan receive', package: 'net/http' });
  assert.deepEqual(parseFilter('label=job=export label=trace system=false'),
    { label: { job: 'export', trace: null }, system: false });
  assert.deepEqual(parseFilter('  STATUS=running  '), { status: 'running' });
});

test('bad filter words are refused with the word and the keys', () => {
  assert.throws(() => parseFilter('colour=red'), /"colour=red": expected KEY=VALUE with KEY one of status/);
  assert.throws(() => parseFilter('waiting'), /"waiting": expected KEY=VALUE/);
  assert.throws(() => parseFilter('system=maybe'), /system=true or system=false/);
  assert.throws(() => parseFilter('function='), /empty function/);
  assert.throws(() => parseFilter('label='), /label=KEY or label=KEY=VALUE/);
});
