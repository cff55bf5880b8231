"""The print edition's parts, each a tagged PDF WeasyPrint wrote, joined into the one
PDF it would have written for the whole edition (pikepdf, i.e. qpdf).

Kept from the first part: the catalogue (language, `MarkInfo`, viewer preferences,
the variant's output intent), the XMP metadata and the document information, which
every part has alike. Joined: the pages in order; the structure tree (one `Document`
element holding every part's elements in reading order); its parent tree renumbered
as WeasyPrint numbers it, pages first, then the tagged annotations in page order;
the bookmarks; and the named destinations, each taken from the part that holds it
(a part's links to another part's targets lead to stand-ins, left out here).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class JoinError(Exception):
    """A part is not as WeasyPrint writes it (a structure the join does not know)."""


@dataclass(frozen=True, slots=True)
class PartPdf:
    path: Path
    targets: frozenset[str]
    """The named destinations the part holds; any other it names stands in for one elsewhere."""


@dataclass(frozen=True, slots=True)
class FolioLayer:
    """The folios the parts left to the join: a PDF of a page for each of the
    edition's, bearing only its folio, to lay over `pages` (by index)."""

    path: Path
    pages: frozenset[int]


class PartsJoin:
    """The parts joined into one PDF, the first last: the others are joined as soon as
    they are laid out (`rest`), while the first may still be, since a rebuild lays
    it out last (its contents print the pages of a section that grew); `write` puts
    it in front. The same steps whichever part is laid out last, so the same bytes.
    The PDFs stay open until `close`."""

    def __init__(self, rest: Sequence[PartPdf]) -> None:
        import pikepdf

        self.rest = rest
        self.opened = [pikepdf.open(part.path) for part in rest]
        self.whole = self.opened[0]
        self.document = _document_element(self.whole)
        self.nums = [_parent_tree(self.whole)]
        self.counts = [len(self.whole.pages)]
        for other in self.opened[1:]:
            self._take(other, first=False)

    def write(self, first: PartPdf, target: Path, folios: FolioLayer | None = None) -> int:
        """Write the parts, `first` in front, joined to `target`, with the `folios`
        laid over their pages; the number of pages."""
        import pikepdf

        front = pikepdf.open(first.path)
        self.opened.insert(0, front)
        whole = self.whole
        self._take(front, first=True)
        if folios is not None and folios.pages:
            layer = pikepdf.open(folios.path)
            self.opened.append(layer)
            _lay_over(whole, layer, folios.pages)
        _renumber_parents(whole, self.nums, self.counts)
        _join_destinations(whole, self.opened[:len(self.rest) + 1], [first, *self.rest])
        # The XMP stays as the parts have it; the identifier is a digest of the content;
        # objects go in compressed object streams where the parts have them (not PDF/A-1).
        packed = any(isinstance(obj, pikepdf.Stream) and obj.get("/Type") == "/ObjStm" for obj in whole.objects)
        whole.save(
            target, deterministic_id=True, fix_metadata_version=False,
            object_stream_mode=pikepdf.ObjectStreamMode.generate if packed else pikepdf.ObjectStreamMode.preserve,
        )
        return len(whole.pages)

    def close(self) -> None:
        for pdf in self.opened:
            pdf.close()

    def _take(self, other: Any, first: bool) -> None:
        """Another part's pages, structure elements, parent tree and bookmarks: after
        those joined so far, or, `first`, before them. Its catalogue, metadata and
        information are as every part has them."""
        import pikepdf

        whole = self.whole
        with warnings.catch_warnings():  # the destinations are joined below, from every part
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            if first:
                for index, page in enumerate(other.pages):
                    whole.pages.insert(index, page)
            else:
                whole.pages.extend(other.pages)
        kids = []
        for kid in _document_element(other).K:
            copied = _copied(whole, kid)
            copied.P = self.document
            kids.append(copied)
        nums = {key: _copied(whole, value) for key, value in _parent_tree(other).items()}
        if first:
            self.document.K = pikepdf.Array([*kids, *self.document.K])
            self.nums.insert(0, nums)
            self.counts.insert(0, len(other.pages))
        else:
            self.document.K.extend(kids)
            self.nums.append(nums)
            self.counts.append(len(other.pages))
        _join_outlines(whole, other, first)


def _document_element(pdf: Any) -> Any:
    """The part's `Document` structure element, the one child of its tree's root."""
    import pikepdf

    tree = pdf.Root.get("/StructTreeRoot")
    top = tree.get("/K") if tree is not None else None
    if isinstance(top, pikepdf.Array) and len(top) == 1:
        top = top[0]
    if not isinstance(top, pikepdf.Dictionary) or top.get("/S") != "/Document":
        raise JoinError("a part has no single Document element")
    if not isinstance(top.get("/K"), pikepdf.Array):
        top.K = pikepdf.Array([top.K]) if "/K" in top else pikepdf.Array()
    return top


def _copied(whole: Any, value: Any) -> Any:
    """`value` of another part, in the whole: its objects copied once (qpdf keeps what
    it has copied of each part, pages included, and refers to the same copy again)."""
    import pikepdf

    if isinstance(value, pikepdf.Array) and not value.is_indirect:
        return pikepdf.Array([_copied(whole, item) for item in value])
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return whole.copy_foreign(value)
    return value


def _parent_tree(pdf: Any) -> dict[int, Any]:
    tree = pdf.Root.StructTreeRoot.get("/ParentTree")
    if tree is None:
        return {}
    if "/Kids" in tree:
        raise JoinError("a part's parent tree has kids")
    nums = list(tree.get("/Nums", []))
    return {int(nums[index]): nums[index + 1] for index in range(0, len(nums), 2)}


def _renumber_parents(whole: Any, nums: list[dict[int, Any]], counts: list[int]) -> None:
    """Number the joined pages' marked content and tagged annotations as WeasyPrint
    numbers a whole document's: each page by its index, then the annotations."""
    import pikepdf

    owners = [index for index, count in enumerate(counts) for _ in range(count)]
    pages = list(whole.pages)
    entries: list[tuple[int, Any]] = []
    for number, (page, owner) in enumerate(zip(pages, owners, strict=True)):
        if "/StructParents" in page.obj:
            entries.append((number, nums[owner][int(page.obj.StructParents)]))
            page.obj.StructParents = number
    key = len(pages)
    for page, owner in zip(pages, owners, strict=True):
        for annotation in page.obj.get("/Annots", []):
            if "/StructParent" in annotation:
                entries.append((key, nums[owner][int(annotation.StructParent)]))
                annotation.StructParent = key
                key += 1
    flat = pikepdf.Array()
    for number, value in entries:
        flat.append(number)
        flat.append(value)
    whole.Root.StructTreeRoot.ParentTree.Nums = flat


def _join_outlines(whole: Any, other: Any, first: bool) -> None:
    """The other part's bookmarks after the whole's (or, `first`, before them), at the
    same level."""
    import pikepdf

    if "/Outlines" not in other.Root or "/First" not in other.Root.Outlines:
        return
    theirs = whole.copy_foreign(other.Root.Outlines)
    if "/Outlines" not in whole.Root or "/First" not in whole.Root.Outlines:
        whole.Root.Outlines = whole.make_indirect(pikepdf.Dictionary(Count=0))
    ours = whole.Root.Outlines
    item = theirs.First
    while True:
        item.Parent = ours
        if "/Next" not in item:
            break
        item = item.Next
    if "/Last" not in ours:
        ours.First, ours.Last = theirs.First, theirs.Last
    elif first:
        theirs.Last.Next = ours.First
        ours.First.Prev = theirs.Last
        ours.First = theirs.First
    else:
        ours.Last.Next = theirs.First
        theirs.First.Prev = ours.Last
        ours.Last = theirs.Last
    ours.Count = int(ours.get("/Count", 0)) + int(theirs.get("/Count", 0))


def _join_destinations(whole: Any, opened: list[Any], parts: Sequence[PartPdf]) -> None:
    """One name tree of every part's own destinations, sorted as WeasyPrint sorts them."""
    import pikepdf

    found: dict[str, Any] = {}
    for pdf, part in zip(opened, parts, strict=True):
        names = pdf.Root.get("/Names", {}).get("/Dests")
        if names is None:
            continue
        if "/Kids" in names:
            raise JoinError("a part's destinations have kids")
        flat = list(names.get("/Names", []))
        for index in range(0, len(flat), 2):
            name = str(flat[index])
            if name in part.targets and name not in found:
                found[name] = flat[index + 1] if pdf is whole else _copied(whole, flat[index + 1])
    if not found:
        return
    joined = pikepdf.Array()
    for name in sorted(found):
        joined.append(pikepdf.String(name))
        joined.append(found[name])
    if "/Names" not in whole.Root:
        whole.Root.Names = pikepdf.Dictionary()
    whole.Root.Names.Dests = pikepdf.Dictionary(Names=joined)


def _lay_over(whole: Any, layer: Any, pages: frozenset[int]) -> None:
    """Each of `pages` with the layer's page of its number drawn over it, as an
    artifact (a folio is not the copy), the page's own drawing closed off first."""
    import pikepdf

    for index in sorted(pages):
        page = whole.pages[index]
        form = whole.copy_foreign(layer.pages[index].as_form_xobject())
        name = page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(f"/Folio{index + 1}"))
        page.contents_add(b"q\n", prepend=True)
        page.contents_add(b"\nQ\n/Artifact BMC q " + str(name).encode("ascii") + b" Do Q EMC\n")

