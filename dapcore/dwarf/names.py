"""Named DIEs found without walking every unit.

Go writes every name inline (``DW_FORM_string`` right after the
abbreviation code), which makes a named type, constant or variable
findable by a byte search of its unit (:meth:`NameIndex.find_by_bytes`),
checked by decoding the DIE the hit belongs to. The walk of top-level
children is kept as the fallback (:meth:`NameIndex.find_by_walking`), for
DWARF not written Go's way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from dapcore.dwarf.constants import AT_NAME, AT_PRODUCER, TAG_CONSTANT, TAG_STRUCTURE_TYPE
from dapcore.dwarf.dies import REF_FORMS, Die, DieReader, Unit
from dapcore.dwarf.leb128 import uleb, uleb_bytes
from dapcore.dwarf.sections import DamagedSection, DwarfError
from dapcore.dwarf.types import TypeDies

__all__ = ["NameIndex"]


class NameIndex:
    """Package-level DIEs by qualified name, in the units ``dies`` reads."""

    def __init__(self, dies: DieReader, types: TypeDies) -> None:
        self.dies = dies
        self.types = types
        self.types_unit: Unit | None = None  # where the first structure was found
        self._unit_names: list[str | None] | None = None
        self._names_found: dict[int, str | None] = {}  # by unit index, once asked for
        self._walked: dict[tuple[int, str], dict[str, Die]] = {}

    def _inline_name_codes(self, unit: Unit, tag: int) -> list[bytes]:
        """Encoded abbreviation codes of ``tag`` DIEs whose first attribute is
        an inline name (how Go writes every named DIE)."""
        return [
            uleb_bytes(code)
            for code, ab in self.dies.abbrevs(unit.abbrev_offset).items()
            if ab.tag == tag and ab.attrs and ab.attrs[0][:2] == (AT_NAME, 0x08)
        ]

    def find_by_bytes(self, tag: int | Iterable[int], name: str,
                      accept: Callable[[Die], bool] | None = None,
                      within: Unit | None = None) -> Die | None:
        """The DIE of ``tag`` (or of any of several tags) named ``name``,
        found by searching for its inline name and checking that the hit
        decodes as such a DIE; only inside unit ``within`` if given."""
        tags = (tag,) if isinstance(tag, int) else tuple(tag)
        try:  # a name from the command line may hold undecodable bytes
            needle = name.encode("utf-8", "surrogateescape") + b"\0"
        except UnicodeEncodeError:
            return None  # a lone surrogate names nothing
        if within is not None:
            return self._search(needle, within.first_die, within.end, tags, name, accept, {})
        return self._search_growing(needle, tags, name, accept)

    def _search_growing(self, needle: bytes, tags: tuple[int, ...], name: str,
                        accept: Callable[[Die], bool] | None) -> Die | None:
        """:meth:`find_by_bytes` in the whole section: in what is
        decompressed so far, then, when not found there, in more (issue #16:
        what the first locals look for is near the start of a big
        program's ``.debug_info``; a name that is nowhere needs it all). A
        needle cut by the end of what is out is found in the next round."""
        directory = self.dies.directory
        codes: dict[int, list[bytes]] = {}
        lo = 0
        while True:
            hi = directory.inflated
            die = self._search(needle, lo, hi, tags, name, accept, codes)
            if die is not None:
                return die
            lo = max(lo, hi - len(needle) + 1)
            if not directory.grow():
                if directory.inflated > hi:  # the rest came out at the end
                    continue
                return None

    def _search(self, needle: bytes, lo: int, hi: int, tags: tuple[int, ...], name: str,
                accept: Callable[[Die], bool] | None,
                codes_by_table: dict[int, list[bytes]]) -> Die | None:
        """The first DIE named by a hit of ``needle`` in ``[lo, hi)``."""
        info = self.dies.info
        pos = info.find(needle, lo, hi)
        while pos >= 0:
            try:
                unit = self.dies.unit_at(pos)
            except DamagedSection:
                raise
            except DwarfError:
                unit = None
            if unit is not None:
                codes = codes_by_table.get(unit.abbrev_offset)
                if codes is None:
                    codes = codes_by_table[unit.abbrev_offset] = [
                        c for t in tags for c in self._inline_name_codes(unit, t)]
                die = self._die_named(pos, unit, codes, tags, name, accept)
                if die is not None:
                    return die
            info = self.dies.info  # (whole now, when finding the unit needed it all)
            pos = info.find(needle, pos + 1, hi)
        return None

    def _die_named(self, pos: int, unit: Unit, codes: list[bytes], tags: tuple[int, ...],
                   name: str, accept: Callable[[Die], bool] | None) -> Die | None:
        """The DIE whose inline name starts at ``pos``, when one of ``codes``
        is right before it and it is a real DIE of ``tags`` named ``name``."""
        info = self.dies.info
        for enc in codes:
            start = pos - len(enc)
            if start >= unit.first_die and info[start:pos] == enc:
                try:
                    die = self.dies.die(start, unit)
                    if die.tag in tags and die.name == name and \
                            self._is_real_die(die) and \
                            not self._inside_longer_name(start, unit) and (
                            accept is None or accept(die)):
                        return die
                except DamagedSection:
                    raise
                except DwarfError:
                    pass
        return None

    def _is_real_die(self, die: Die) -> bool:
        """Whether a DIE decoded at a byte-search hit is one, not the tail
        of some other DIE's string: a name like ``bool`` is also the end of
        ``func(unsafe.Pointer, unsafe.Pointer) bool``, and the byte before
        it (``' '``, 0x20) can be an abbreviation code whose first attribute
        is a name. Such a false DIE decodes, but its other attributes are
        whatever bytes follow the string. A real one's references point at
        DIEs of ``.debug_info`` and the entry after it (first child or next
        sibling) starts with a known abbreviation code or a null entry."""
        unit, info = die.unit, self.dies.info
        if die.end > unit.end:
            return False
        plans = self.dies.plans_for(unit)
        if die.end < unit.end:
            code, _ = uleb(info, die.end)
            if code and code not in plans:
                return False
        elif die.children:
            return False
        if die.abbrev is None:
            return True
        for at, form, _ in die.abbrev.attrs:
            if form not in REF_FORMS:
                continue
            ref = die.attrs.get(at)
            if not isinstance(ref, int) or not 0 <= ref < self.dies.directory.size:
                return False
            try:
                target = self.dies.unit_at(ref)
            except DamagedSection:
                raise
            except DwarfError:
                return False
            if ref < target.first_die:
                return False
            code, _ = uleb(self.dies.info, ref)
            if not code or code not in self.dies.plans_for(target):
                return False
        return True

    def _inside_longer_name(self, start: int, unit: Unit) -> bool:
        """Whether the DIE decoded at ``start`` is the tail of the inline name
        of a DIE that starts before it: a named DIE whose name runs through
        ``start`` to the same NUL (and that looks real) starts after the last
        zero byte before ``start``, since neither its code nor its name holds
        one. That DIE is the real one; its tail, even decoded with the same
        abbreviation and the same attributes, is not. The longer name must be
        printable text: it holds this DIE's abbreviation code as a character,
        and a DIE right after another (constants: ``_Grunning = 2`` then
        ``_Gsyscall``) must not be mistaken for the tail of a name made of
        the previous DIE's last bytes and its own control-character code."""
        info = self.dies.info
        zero = info.rfind(b"\0", unit.first_die, start)
        plans = self.dies.plans_for(unit)
        for c in range(max(zero + 1, unit.first_die), start):
            plan = plans.get(info[c])
            if plan is None or info[c] & 0x80 or not plan.abbrev.attrs \
                    or plan.abbrev.attrs[0][:2] != (AT_NAME, 0x08):
                continue
            try:
                outer = self.dies.die(c, unit)
            except DamagedSection:
                raise
            except DwarfError:
                continue
            name = outer.name
            if outer.end > start and isinstance(name, str) and name.isprintable() and \
                    c + 1 + len(name.encode()) > start and self._is_real_die(outer):
                return True
        return False

    def has_inline_names(self, tag: int) -> bool:
        """Whether some unit's abbreviations write ``tag`` DIEs Go's way."""
        seen: set[int] = set()
        for u in self.dies.iter_units():
            if u.abbrev_offset not in seen:
                seen.add(u.abbrev_offset)
                if self._inline_name_codes(u, tag):
                    return True
        return False

    def find_by_walking(self, tag: int, names: Iterable[str]) -> dict[str, Die]:
        """The slow way: the top-level children of the units of the names'
        packages (and of ``runtime``, which holds every type), indexed once
        per tag and package."""
        names = list(names)
        pkgs = {"runtime"} | {_package(n) for n in names}
        found: dict[str, Die] = {}
        for pkg in sorted(pkgs):
            index = self._walked.get((tag, pkg))
            if index is None:
                index = self._walked[(tag, pkg)] = self._walk(tag, pkg)
            for n in names:
                if n in index and n not in found:
                    found[n] = index[n]
        return found

    def _walk(self, tag: int, pkg: str) -> dict[str, Die]:
        """The top-level ``tag`` DIEs of ``pkg``'s units by name."""
        index: dict[str, Die] = {}
        dies = self.dies
        for u, unit_name in zip(dies.units, self.unit_names(walking=True), strict=True):
            if unit_name != pkg:
                continue
            for child in dies.children(dies.die(u.first_die, u)):
                if child.tag == tag and child.name and child.name not in index:
                    if tag != TAG_STRUCTURE_TYPE or self.types.is_struct(child):
                        index[child.name] = child
        return index

    def unit_names(self, walking: bool = False) -> list[str | None]:
        """The name of each Go unit (Go names a unit after its package and
        writes it inline; other units, e.g. C ones, get None unless
        ``walking``, where every unit's name is decoded)."""
        dies = self.dies
        if walking:
            names: list[str | None] = []
            for u in dies.units:
                try:
                    names.append(dies.top(u).name)
                except DamagedSection:
                    raise
                except DwarfError:
                    names.append(None)
            return names
        if self._unit_names is None:
            self._unit_names = [self.unit_name(u) for u in dies.units]
        return self._unit_names

    def unit_name(self, u: Unit) -> str | None:
        """The name of Go unit ``u`` (see :meth:`unit_names`), kept."""
        names = self._names_found
        if u.index not in names:
            names[u.index] = self._inline_unit_name(u)
        return names[u.index]

    def _inline_unit_name(self, u: Unit) -> str | None:
        dies = self.dies
        try:
            code, _ = uleb(dies.info, u.first_die)
            ab = dies.abbrevs(u.abbrev_offset).get(code)
            inline = ab is not None and ab.attrs[:1] == ((AT_NAME, 0x08, 0),)
            return dies.top(u).name if inline else None
        except DamagedSection:
            raise
        except (DwarfError, IndexError):
            return None

    def find(self, tag: int, names: Iterable[str]) -> dict[str, Die]:
        """Package-level DIEs of ``tag`` by qualified name (``runtime._Gdead``;
        absent names are left out), searched in the units of their package,
        in section order, as far as needed (issue #16): a name is found in
        the first unit of its package holding it. That a name is absent
        needs every unit of its package, so every unit, except for Go's
        constants: Go's linker writes all of a package's constants into one
        unit of that package (its first; ``cmd/link``, "We drop the
        constants into the first CU"), so once a unit Go wrote holds one,
        the names not in it are nowhere."""
        names = list(dict.fromkeys(names))
        if not self.has_inline_names(tag):
            return self.find_by_walking(tag, names)
        pending: dict[str, list[str]] = {}
        for n in names:
            pending.setdefault(_package(n), []).append(n)
        found: dict[str, Die] = {}
        for u in self.dies.iter_units():
            if not pending:
                break
            pkg = self.unit_name(u)
            wanted = pending.get(pkg) if pkg else None
            if not wanted:
                continue
            left = [n for n in wanted if not self._found_in(tag, n, u, found)]
            if not left or (tag == TAG_CONSTANT and self._holds_constants(
                    u, pkg, any_found=len(left) < len(wanted))):
                del pending[pkg]
            else:
                pending[pkg] = left
        return {n: found[n] for n in names if n in found}

    def _found_in(self, tag: int, name: str, u: Unit, found: dict[str, Die]) -> bool:
        die = self.find_by_bytes(tag, name, within=u)
        if die is not None:
            found[name] = die
        return die is not None

    def _holds_constants(self, u: Unit, pkg: str, any_found: bool) -> bool:
        """Whether ``u`` is the unit where Go's linker wrote the constants of
        package ``pkg``: Go wrote it and it holds one (``any_found``: one
        was just found in it)."""
        producer = self.dies.top(u).attrs.get(AT_PRODUCER)
        if not isinstance(producer, str) or not producer.startswith(_GO_PRODUCER):
            return False
        if any_found:
            return True
        prefix = (pkg + ".").encode("utf-8", "surrogateescape")
        codes = self._inline_name_codes(u, TAG_CONSTANT)
        info = self.dies.info
        pos = info.find(prefix, u.first_die, u.end)
        while pos >= 0:
            for enc in codes:
                start = pos - len(enc)
                if start >= u.first_die and info[start:pos] == enc:
                    try:
                        die = self.dies.die(start, u)
                    except DamagedSection:
                        raise
                    except DwarfError:
                        continue
                    if die.tag == TAG_CONSTANT and die.name and \
                            _package(die.name) == pkg and self._is_real_die(die) and \
                            not self._inside_longer_name(start, u):
                        return True
            pos = info.find(prefix, pos + 1, u.end)
        return False

    def find_struct(self, name: str, everywhere: bool = False) -> Die | None:
        """A structure type by name. Go's linker writes all type DIEs into one
        unit: once a structure is found there, later searches stay in it
        (unless ``everywhere``)."""
        if not self.has_inline_names(TAG_STRUCTURE_TYPE):
            return self.find_by_walking(TAG_STRUCTURE_TYPE, [name]).get(name)
        within = None if everywhere else self.types_unit
        die = self.find_by_bytes(TAG_STRUCTURE_TYPE, name, self.types.is_struct, within)
        if die is not None and self.types_unit is None:
            self.types_unit = die.unit
        return die


# The producer Go's compiler writes into its units (DW_AT_producer), e.g.
# "Go cmd/compile go1.19.8; regabi".
_GO_PRODUCER = "Go cmd/compile"


def _package(qualified: str) -> str:
    """The unit (package) a package-level DIE's qualified name is searched
    in: everything before its last dot (``runtime`` of ``runtime._Gdead``)."""
    return qualified.rsplit(".", 1)[0]
