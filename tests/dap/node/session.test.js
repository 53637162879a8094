// A session driven by Microsoft's DebugClient (@vscode/debugadapter-testsupport)
// against `python dapcore/__main__.py` over stdio. Run by tests/test_dap_node.py,
// which passes the fixture through the environment:
//   DAPCORE_REPO, DAPCORE_PYTHON, DAPCORE_BINARY, DAPCORE_CORE,
//   DAPCORE_MESSAGE (the crash's first line), DAPCORE_LINE, DAPCORE_FUNCTION
'use strict';
const { test } = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { DebugClient } = require('@vscode/debugadapter-testsupport');

const env = process.env;

test('DebugClient session over a Go core', async () => {
  const dc = new DebugClient(env.DAPCORE_PYTHON, path.join(env.DAPCORE_REPO, 'dapcore', '__main__.py'),
    'gocore', { env: { ...env, PYTHONPATH: env.DAPCORE_REPO }, cwd: env.DAPCORE_REPO });
  dc.defaultTimeout = 20000;
  await dc.start();
  try {
    // VS Code's real order: initialize, launch, then on 'initialized'
    // configurationDone and at once threads, before the launch response.
    const stopped = dc.waitForEvent('stopped');
    const initialized = dc.waitForEvent('initialized');
    let launchAnswered = false;
    const launched = dc.launch({ program: env.DAPCORE_BINARY, coreFilePath: env.DAPCORE_CORE,
      mode: 'core' }).then((r) => { launchAnswered = true; return r; });
    await initialized;
    const [, early] = await Promise.all([dc.configurationDoneRequest(), dc.threadsRequest()]);
    assert.ok(early.success, 'the early threads request is answered (no error toast)');
    await launched;
    assert.ok(launchAnswered);
    const ev = await stopped;
    assert.strictEqual(ev.body.reason, 'exception');
    assert.strictEqual(ev.body.description, env.DAPCORE_MESSAGE);
    assert.strictEqual(ev.body.allThreadsStopped, true);
    const threadId = ev.body.threadId;

    const threads = await dc.threadsRequest();
    assert.ok(threads.body.threads.some(t => t.id === threadId));
    assert.deepStrictEqual(early.body.threads, threads.body.threads);
    // thread ids are goroutine ids: '[Go N] …' has id N
    for (const t of threads.body.threads) {
      assert.strictEqual(t.id, Number(/^\[Go (\d+)\]/.exec(t.name)[1]));
    }

    // VS Code's way: one frame, then the next 19; focus the first user frame.
    const first = await dc.stackTraceRequest({ threadId, startFrame: 0, levels: 1 });
    const rest = await dc.stackTraceRequest({ threadId, startFrame: 1, levels: 19 });
    const frames = first.body.stackFrames.concat(rest.body.stackFrames);
    const user = frames.find(f => f.source && f.source.presentationHint !== 'deemphasize'
      && f.presentationHint !== 'label');
    assert.ok(user, 'a user frame within the first page');
    assert.strictEqual(frames.find(f => f.source), user, 'no runtime frame with a source above it');
    assert.strictEqual(user.line, Number(env.DAPCORE_LINE));
    assert.strictEqual(user.name.replace(/ \(inlined\)$/, ''), env.DAPCORE_FUNCTION);

    const info = await dc.exceptionInfoRequest({ threadId });
    assert.strictEqual(info.body.description, env.DAPCORE_MESSAGE);
    assert.strictEqual(info.body.breakMode, 'always');

    const scopes = await dc.scopesRequest({ frameId: user.id });
    assert.match(scopes.body.scopes[0].name, /^Locals/);

    const again = dc.waitForEvent('stopped');
    await assert.rejects(dc.continueRequest({ threadId }), /cannot be resumed/);
    assert.strictEqual((await again).body.threadId, threadId);
  } finally {
    await dc.stop();
  }
});
