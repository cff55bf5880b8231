"""Whether an edition in the output folder is up to date, so a rebuild with nothing
changed costs a few file reads instead of a layout.

An edition is up to date when the digest of everything it is made from (the
manuscript folder's files, the house style's files, the installed Chinese faces,
the options, SOURCE_DATE_EPOCH, hkcq-press's own code and the versions of the
installed libraries) is the one recorded when it was written, and its
files still have the digests recorded then. The record is one JSON file in the
output folder, written only after a build has committed its files; a
manuscript that fails its checks is never recorded, so it is checked again.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import asdict, astuple, dataclass
from pathlib import Path
from typing import Any

from hkcq_press.markup.pagemap import PageStart
from hkcq_press.style.fonts import FACE_RECORD, chinese_font_folders
from hkcq_press.reader.files import Limits
from hkcq_press.model.edition import PrintOptions
from hkcq_press.outputs import TEMPORARY_PREFIX, file_digest
from hkcq_press.style.house import HouseStyle

STATE_FILE = ".hkcq-press.json"
RECORD_FORMAT = 2
"""The build record's layout: raised when it changes, so an older record is read as none."""
PAGES = "pages"
"""The key of `input_digests` for what the print edition's pages are made from."""
PACKAGE = Path(__file__).resolve().parent
DISTRIBUTION = "hkcq-press"
_REQUIREMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""The distribution's name at the start of a `Requires-Dist:` line."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """What was written for one format of one manuscript."""

    inputs: str
    files: dict[str, str]
    """Output file name → SHA-256 of its bytes."""
    detail: str


class FileDigests:
    """SHA-256 of files, read in chunks in constant memory, and read again only when
    their size, modification time or inode differ from those recorded with the
    digest: stat data is trusted as make and ninja trust it, so a gigabyte of video
    left beside the manuscript costs a `stat`, not a read, once it is recorded."""

    RECENT_NS = 2_000_000_000
    """A file modified this recently may change again within the same time stamp; its
    digest is used but not kept for trust next time."""

    def __init__(self, known: dict[str, list[int | str]] | None = None) -> None:
        self.known = known or {}
        self.seen: dict[str, list[int | str]] = {}
        """Path → [size, mtime_ns, inode, digest] of every file digested in this build."""

    def __call__(self, path: Path) -> str:
        status = path.stat()
        stamp: list[int | str] = [status.st_size, status.st_mtime_ns, status.st_ino]
        entry = self.known.get(str(path))
        digest = str(entry[3]) if entry and entry[:3] == stamp else file_digest(path)
        if time.time_ns() - status.st_mtime_ns > self.RECENT_NS:
            self.seen[str(path)] = [*stamp, digest]
        return digest

    @property
    def learned(self) -> bool:
        """Whether this build digested a file it can trust next time without reading it."""
        return any(self.known.get(path) != entry for path, entry in self.seen.items())

    def to_keep(self) -> dict[str, list[int | str]]:
        """The digests to record: this build's, and those of other files that still exist
        (another manuscript built into the same folder)."""
        kept = {path: entry for path, entry in self.known.items() if path not in self.seen and Path(path).exists()}
        return {**kept, **self.seen}


def input_digests(
    manuscript_dir: Path,
    style: HouseStyle,
    kinds: tuple[str, ...],
    options: PrintOptions,
    limits: Limits,
    keep_html: bool,
    digest_of: FileDigests | None = None,
    verified_by: tuple[str, ...] = (),
) -> dict[str, str]:
    """For each format, the digest of everything its edition is made from; and under
    `PAGES`, of what decides where the printed pages begin, which the EPUB marks (the
    page size, not the PDF's variant or marks). The files are read once, whatever the
    number of formats; `digest_of` may know some already. `verified_by` counts for the
    EPUB, whose accessibility summary names the validators."""
    shared = _made_with(manuscript_dir, style, digest_of or FileDigests(), frozenset())
    _add(shared, astuple(limits))
    pages = shared.copy()
    _add(pages, PAGES, options.page_size)
    digests = {PAGES: pages.hexdigest()}
    for kind in kinds:
        digest = shared.copy()
        if kind == "pdf":
            _add(digest, kind, astuple(options), keep_html)
        else:  # the page size shapes the printed pages, which the EPUB marks; the variant and marks do not
            _add(digest, kind, options.page_size, *verified_by)
        digests[kind] = digest.hexdigest()
    return digests


def layout_digest(manuscript_dir: Path, style: HouseStyle, articles: frozenset[Path], digest_of: FileDigests) -> str:
    """The digest of what a print layout is made from besides its HTML: the edition's
    files except its `articles` (a part's HTML holds its own articles' copy, and
    another's copy must not count), the house style, the faces, the code and libraries."""
    return _made_with(manuscript_dir, style, digest_of, frozenset(path.resolve() for path in articles)).hexdigest()


def _made_with(manuscript_dir: Path, style: HouseStyle, digest_of: FileDigests, leaving_out: frozenset[Path]) -> Any:
    digest = hashlib.sha256()
    _add(digest, os.environ.get("SOURCE_DATE_EPOCH", ""), *_edition_libraries())
    # Every module, however deep: a changed submodule must rebuild the editions too.
    for source in sorted(PACKAGE.rglob("*.py")):
        _add(digest, source.relative_to(PACKAGE).as_posix(), source.read_bytes())
    for root in (manuscript_dir.resolve(), *style.directories):
        _add(digest, "folder", root)
        for path in _files(root):
            if path in leaving_out:
                continue
            try:
                content = digest_of(path)
            except OSError as error:  # an editor's lock file, say; the reader judges the files it needs
                content = f"unreadable: {error.strerror}"
            _add(digest, path.relative_to(root).as_posix(), content)
    # The installed faces are large and change only with setup: their sizes and times suffice.
    for fonts in chinese_font_folders():
        for path in _files(fonts) if fonts.is_dir() else []:
            if path.name == FACE_RECORD:  # when the faces were last found intact, not what they are
                continue
            status = path.stat()
            _add(digest, str(path), status.st_size, status.st_mtime_ns)
    return digest


def _add(digest: hashlib._Hash, *parts: object) -> None:
    """Each part with its length, so that no two different sequences of parts hash alike."""
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogateescape")
        digest.update(len(data).to_bytes(8, "big") + data)


def _edition_libraries() -> list[str]:
    """hkcq-press and every distribution it needs, transitively, with their versions,
    and the system's Pango and HarfBuzz, which WeasyPrint sets type with: what writes
    the editions. Nothing else installed beside them counts. Read from the
    distributions' metadata files, not through importlib.metadata, which parses every
    installed distribution's: a build with nothing changed stays quick."""
    metadata_files: dict[str, Path] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                metadata_files.setdefault(_normalised(name.removesuffix(".dist-info").rpartition("-")[0]),
                                          Path(entry or ".", name, "METADATA"))
            elif name.endswith(".egg-info"):  # the package run from its source folder
                metadata_files.setdefault(_normalised(name.removesuffix(".egg-info").partition("-")[0]),
                                          Path(entry or ".", name, "PKG-INFO"))
    found: dict[str, str] = {}
    waiting = [_normalised(DISTRIBUTION)]
    while waiting:
        name = waiting.pop()
        if name in found:
            continue
        try:
            lines = metadata_files[name].read_text(encoding="utf-8", errors="replace").splitlines()
        except (KeyError, OSError):
            found[name] = "not installed"
            continue
        found[name] = next((line[len("Version:"):].strip() for line in lines if line.startswith("Version:")), "")
        requirements = [line[len("Requires-Dist:"):].strip() for line in lines
                        if line.startswith("Requires-Dist:") and "extra ==" not in line]
        waiting.extend(_normalised(required.group()) for text in requirements
                       if (required := _REQUIREMENT.match(text)))
    return [f"{name}=={version}" for name, version in sorted(found.items())] + _system_libraries()


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _system_libraries() -> list[str]:
    """The versions of the system's Pango and HarfBuzz, as each library says."""
    versions = []
    for library, function in (("libpango-1.0.so.0", "pango_version_string"), ("libharfbuzz.so.0", "hb_version_string")):
        try:
            version_string = getattr(ctypes.CDLL(library), function)
        except (OSError, AttributeError):
            versions.append(f"{library}: not found")
            continue
        version_string.restype = ctypes.c_char_p
        versions.append(f"{library}: {version_string().decode('ascii', 'replace')}")
    return versions


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file() and "__pycache__" not in path.parts)


def _recorded(entry: object) -> Recorded | None:
    """An edition's entry as a build writes it, else None."""
    if not isinstance(entry, dict):
        return None
    inputs, files, detail = entry.get("inputs"), entry.get("files"), entry.get("detail")
    if not (isinstance(inputs, str) and isinstance(detail, str) and isinstance(files, dict)
            and all(isinstance(name, str) and isinstance(sha, str) for name, sha in files.items())):
        return None
    return Recorded(inputs, dict(files), detail)


def _page_map(entry: object) -> tuple[str, tuple[PageStart, ...]] | None:
    """A page map as a build writes it, else None."""
    if not isinstance(entry, dict) or not isinstance(entry.get("inputs"), str) or not isinstance(
        entry.get("starts"), list
    ):
        return None
    try:
        starts = tuple(PageStart(**start) for start in entry["starts"])
    except TypeError:  # not a mapping, or not a page start's fields
        return None
    if not all(isinstance(start.page, int) and isinstance(start.region, str) and isinstance(start.block, int)
               and isinstance(start.offset, int) and isinstance(start.inside_word, bool) for start in starts):
        return None
    return entry["inputs"], starts


class BuildRecord:
    """The output folder's record of what each manuscript's editions were built from."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / STATE_FILE
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = None
        # A record of another format, or of a shape no build writes, is no record: the
        # editions are built again, never trusted on what cannot be read.
        if not isinstance(saved, dict) or saved.get("format") != RECORD_FORMAT:
            saved = {}
        editions, files = saved.get("editions"), saved.get("files")
        self.entries: dict[str, dict[str, Recorded]] = {
            manuscript: {kind: recorded for kind, entry in kinds.items() if (recorded := _recorded(entry))}
            for manuscript, kinds in (editions.items() if isinstance(editions, dict) else ())
            if isinstance(kinds, dict)
        }
        page_maps = saved.get("page_maps")
        self.page_maps: dict[str, tuple[str, tuple[PageStart, ...]]] = {
            manuscript: found for manuscript, entry in (page_maps.items() if isinstance(page_maps, dict) else ())
            if (found := _page_map(entry)) is not None
        }
        """Where the last print layout of each manuscript began its pages, with the
        digest of what it was made from (`PAGES`): the e-book's page list, kept for an
        `epub` built alone."""
        self.digests = FileDigests({
            path: stamp for path, stamp in (files.items() if isinstance(files, dict) else ())
            if isinstance(stamp, list) and len(stamp) == 4 and all(isinstance(part, int) for part in stamp[:3])
            and isinstance(stamp[3], str)
        })
        """The input files' digests, trusted by their stat data (see `FileDigests`)."""

    def up_to_date(self, manuscript_dir: Path, kind: str, inputs: str) -> Recorded | None:
        """The record of `kind`, if it was built from `inputs` and its files are intact."""
        recorded = self.entries.get(str(manuscript_dir.resolve()), {}).get(kind)
        if recorded is None or recorded.inputs != inputs:
            return None
        for name, sha in recorded.files.items():
            path = self.path.parent / name
            if not path.is_file() or file_digest(path) != sha:
                return None
        return recorded

    def record(self, manuscript_dir: Path, kind: str, recorded: Recorded) -> None:
        self.entries.setdefault(str(manuscript_dir.resolve()), {})[kind] = recorded

    def page_map(self, manuscript_dir: Path, pages: str) -> tuple[PageStart, ...] | None:
        """Where the pages of the last print layout began, if it was made from `pages`."""
        inputs, starts = self.page_maps.get(str(manuscript_dir.resolve()), ("", ()))
        return starts if inputs == pages else None

    def record_page_map(self, manuscript_dir: Path, pages: str, starts: tuple[PageStart, ...]) -> None:
        self.page_maps[str(manuscript_dir.resolve())] = (pages, starts)

    def save(self) -> None:
        """Replace the record file atomically, so a reader never sees half of it. Used
        where no edition is written (what the record learned of the inputs): a record
        that cannot be saved then costs the next build a reading, never this one."""
        handle, temporary = tempfile.mkstemp(
            prefix=f"{TEMPORARY_PREFIX}{os.getpid()}-state.", suffix=".tmp", dir=self.path.parent
        )
        os.close(handle)
        try:
            self.write(Path(temporary))
            os.chmod(temporary, 0o644)
            os.replace(temporary, self.path)
        except OSError:
            Path(temporary).unlink(missing_ok=True)

    def write(self, path: Path) -> None:
        """The record, written to `path` (a build's staged file, moved into place with the editions)."""
        with path.open("w", encoding="utf-8") as stream:
            editions = {
                manuscript: {kind: {"inputs": recorded.inputs, "files": recorded.files, "detail": recorded.detail}
                             for kind, recorded in kinds.items()}
                for manuscript, kinds in self.entries.items()
            }
            page_maps = {manuscript: {"inputs": inputs, "starts": [asdict(start) for start in starts]}
                         for manuscript, (inputs, starts) in self.page_maps.items()}
            json.dump({"format": RECORD_FORMAT, "editions": editions, "page_maps": page_maps,
                       "files": self.digests.to_keep()}, stream, indent=1, sort_keys=True)
