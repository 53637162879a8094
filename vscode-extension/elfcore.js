'use strict';
// Go Core Dump: the executable a core names and the executables next to it,
// read from the ELF files themselves (notes, NT_FILE, auxv, Go build IDs).

const fs = require('fs');
const path = require('path');

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

module.exports = {
  coreExecutableInfo,
  executableNamedInCore,
  goBuildIdOfExecutable,
  executablesNextTo,
};
