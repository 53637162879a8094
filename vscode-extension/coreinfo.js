'use strict';
// Go Core Dump: the executable a core names and the executables next to it,
// as dapcore reads them from the ELF files (`dapcore executable CORE`, JSON
// on stdout): the extension asks the adapter's interpreter, it parses no ELF
// file itself.

const { execFile } = require('./interpreter');

/** What dapcore says about `corePath`, run as `<python> -P -m dapcore
 *  executable CORE` (`options`: cwd and env, as for the adapter):
 *  `{named, goBuildId, namedGoBuildId, nextTo}`. `named`: the executable
 *  the core names, `goBuildId`: its Go build ID as the core holds it,
 *  `namedGoBuildId`: the Go build ID of the file at `named` here (each
 *  undefined when unknown); `nextTo`: the ELF executables in the core's
 *  directory as [{path, mtimeMs, goBuildId, match}], the ones with the
 *  core's Go build ID first, then newest first. When dapcore cannot answer
 *  (not installed, not a core…) nothing is named and `nextTo` is empty. */
async function coreExecutableInfo(python, corePath, options = {}, run = execFile) {
  let out;
  try {
    const { stdout } = await run(python, ['-P', '-m', 'dapcore', 'executable', corePath], options);
    out = JSON.parse(stdout);
  } catch (_err) {
    return { nextTo: [] };
  }
  const core = (out && out.core) || {};
  return {
    named: core.named || undefined,
    goBuildId: core.goBuildId || undefined,
    namedGoBuildId: core.namedGoBuildId || undefined,
    nextTo: Array.isArray(out && out.nextTo) ? out.nextTo : [],
  };
}

module.exports = {
  coreExecutableInfo,
};
