"""A small ELF reader: which libraries a shared object needs and where it looks for them.

Stdlib only, run by the target (``device_probe`` asks it about MindSpore's device plugins).
It reads the file header, the program headers and the dynamic segment, a few KB, never the
whole file (a GPU plugin is hundreds of MB). Layouts from the System V gABI:
https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html (file header),
https://refspecs.linuxfoundation.org/elf/gabi4+/ch5.pheader.html (program headers) and
https://refspecs.linuxfoundation.org/elf/gabi4+/ch5.dynamic.html (dynamic section).
"""

import collections
import struct

__all__ = ["ElfInvalid", "ElfFile", "Segment", "elf_dynamic"]

MAGIC = b"\x7fELF"
PT_LOAD, PT_DYNAMIC = 1, 2
DT_NULL, DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 1, 5, 15, 29
_MAX_SEGMENTS = 512  # more program headers than any real library has: a corrupt file
_MAX_DYNAMIC = 1 << 20  # bytes of dynamic section read at most
_MAX_STRING = 512  # a library name or search path longer than this is cut

Segment = collections.namedtuple("Segment", "type offset vaddr filesz")

# (EI_CLASS, EI_DATA) -> (struct prefix, header fields from e_type to e_phnum, program header,
# dynamic entry). The 64-bit program header moves p_flags before p_offset.
_LAYOUTS = {
    1: ("HHIIIIIHHH", "IIIIIIII", "iI"),
    2: ("HHIQQQIHHH", "IIQQQQQQ", "qQ"),
}


class ElfInvalid(ValueError):
    """Not an ELF file, or one whose headers do not hold together."""


class ElfFile(object):
    """The headers of one ELF file, read from ``handle`` (a binary file open for reading).

    Attributes: ``bits`` (32 or 64), ``byteorder`` ("<" or ">"), ``machine`` (e_machine:
    62 x86-64, 183 AArch64) and ``segments`` (the program headers as :class:`Segment`).
    """

    def __init__(self, handle):
        self._handle = handle
        ident = handle.read(16)
        if len(ident) < 16 or ident[:4] != MAGIC:
            raise ElfInvalid("not an ELF file")
        bits_code, order_code = ident[4], ident[5]
        if bits_code not in _LAYOUTS or order_code not in (1, 2):
            raise ElfInvalid("unknown ELF class %d or data encoding %d" % (bits_code, order_code))
        self.bits = 32 * bits_code
        self.byteorder = "<" if order_code == 1 else ">"
        header, self._phdr, self._dyn = (self.byteorder + f for f in _LAYOUTS[bits_code])
        fields = self._read(header)
        self.machine = fields[1]
        phoff, phentsize, phnum = fields[4], fields[8], fields[9]
        if phnum > _MAX_SEGMENTS or (phnum and phentsize < struct.calcsize(self._phdr)):
            raise ElfInvalid("implausible program header table (%d x %d bytes)"
                             % (phnum, phentsize))
        self.segments = [self._segment(phoff + i * phentsize) for i in range(phnum)]
        self._dynamic = self._read_dynamic()

    @classmethod
    def read(cls, path):
        """The headers of the file at ``path``; the file is closed again (ElfInvalid, OSError)."""
        with open(path, "rb") as handle:
            elf = cls(handle)
        elf._handle = None
        return elf

    def _read(self, fmt, offset=None):
        if offset is not None:
            self._handle.seek(offset)
        size = struct.calcsize(fmt)
        data = self._handle.read(size)
        if len(data) < size:
            raise ElfInvalid("truncated at offset %s" % offset)
        return struct.unpack(fmt, data)

    def _segment(self, offset):
        fields = self._read(self._phdr, offset)
        if self.bits == 64:  # p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz
            return Segment(fields[0], fields[2], fields[3], fields[5])
        return Segment(fields[0], fields[1], fields[2], fields[4])  # p_paddr skipped

    def _file_offset(self, vaddr):
        """Where the loaded address ``vaddr`` lies in the file (through the PT_LOAD segments)."""
        for seg in self.segments:
            if seg.type == PT_LOAD and seg.vaddr <= vaddr < seg.vaddr + seg.filesz:
                return vaddr - seg.vaddr + seg.offset
        return vaddr  # some linkers leave the string table's file offset here

    def _read_dynamic(self):
        """{"needed": [...], "rpath": [...], "runpath": [...]}, or None without PT_DYNAMIC."""
        dynamic = [s for s in self.segments if s.type == PT_DYNAMIC]
        if not dynamic or dynamic[0].filesz > _MAX_DYNAMIC:
            return None
        self._handle.seek(dynamic[0].offset)
        raw = self._handle.read(dynamic[0].filesz)
        size = struct.calcsize(self._dyn)
        entries = {DT_NEEDED: [], DT_RPATH: [], DT_RUNPATH: []}
        strtab = None
        for i in range(len(raw) // size):
            tag, value = struct.unpack(self._dyn, raw[i * size:(i + 1) * size])
            if tag == DT_NULL:
                break
            if tag == DT_STRTAB:
                strtab = value
            elif tag in entries:
                entries[tag].append(value)
        if strtab is None:
            return None
        base = self._file_offset(strtab)

        def string_at(offset):
            self._handle.seek(base + offset)
            return self._handle.read(_MAX_STRING).split(b"\0", 1)[0].decode("utf-8", "replace")

        def paths(offsets):  # DT_RPATH / DT_RUNPATH hold colon-separated folder lists
            return [d for o in offsets for d in string_at(o).split(":") if d]

        return {"needed": [string_at(o) for o in entries[DT_NEEDED]],
                "rpath": paths(entries[DT_RPATH]), "runpath": paths(entries[DT_RUNPATH])}

    @property
    def needed(self):
        """DT_NEEDED: the sonames the dynamic loader must find."""
        return list((self._dynamic or {}).get("needed", ()))

    @property
    def rpath(self):
        return list((self._dynamic or {}).get("rpath", ()))

    @property
    def runpath(self):
        return list((self._dynamic or {}).get("runpath", ()))

    @property
    def is_dynamic(self):
        """Whether it has a dynamic section with a string table (a shared object does)."""
        return self._dynamic is not None


def elf_dynamic(path):
    """(needed, rpath, runpath) of an ELF shared object; None when it is not ELF, is
    unreadable or has no dynamic section."""
    try:
        elf = ElfFile.read(path)
    except (OSError, IOError, ElfInvalid, struct.error):
        return None
    if not elf.is_dynamic:
        return None
    return elf.needed, elf.rpath, elf.runpath
