"""An edition of sections laid out in parts side by side (`--jobs`) and joined reads
and checks as the one laid out whole: the same pages, each with the same text, the
same bookmarks, destinations, links and structure tree, the same metadata; and the
e-book marks the same print pages either way. Compared on the built files."""

from __future__ import annotations

import multiprocessing
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from conftest import ROOT, SECTIONS, run_cli
from support import generated_article, generated_edition, pdf_page_texts

from hkcq_press.build import build
from hkcq_press.reader.edition import load_edition
from hkcq_press.model.edition import HOUSE_PRINT_OPTIONS, Edition, PrintOptions
from hkcq_press.pdf.parallel.parts import print_parts
from hkcq_press.verify.pdfcheck import check_pdf
from hkcq_press.style.house import HouseStyle
from hkcq_press.pdf.parallel.hooks import PartOfEdition
from hkcq_press.pdf.parallel.messages import (
    Diverged, Failed, Forked, PageMade, Paginated, PartPages, Rendered,
)
from hkcq_press.pdf.printing import Printer

EPOCH = "1767571200"


def page_texts(pdf: Path) -> list[str]:
    return pdf_page_texts(pdf, "-layout")


def _numbers(values) -> list[float]:
    return [round(float(value), 2) for value in values]


def outline(document: pikepdf.Pdf) -> list[tuple]:
    pages = {page.objgen: number for number, page in enumerate(document.pages)}
    found: list[tuple] = []
    with document.open_outline() as tree:
        def visit(items, depth: int) -> None:
            for item in items:
                destination = item.destination
                found.append((depth, str(item.title), pages[destination[0].objgen], _numbers(destination[2:])))
                visit(item.children, depth + 1)

        visit(tree.root, 0)
    return found


def destinations(document: pikepdf.Pdf) -> list[tuple]:
    pages = {page.objgen: number for number, page in enumerate(document.pages)}
    names = list(document.Root.Names.Dests.Names)
    return [(str(names[i]), pages[names[i + 1][0].objgen], _numbers(names[i + 1][2:])) for i in range(0, len(names), 2)]


def links(document: pikepdf.Pdf) -> list[list[tuple]]:
    return [
        [(str(link.get("/Dest", "")), str(link.get("/A", {}).get("/URI", "")), _numbers(link.Rect))
         for link in page.get("/Annots", [])]
        for page in document.pages
    ]


def structure(document: pikepdf.Pdf) -> list[tuple[int, str, int | None]]:
    """Every structure element's depth and type in reading order, with the page (by
    index) its marked content is on: the tree's shape, as an assistive reader walks it."""
    pages = {page.objgen: number for number, page in enumerate(document.pages)}
    found: list[tuple[int, str, int | None]] = []

    def visit(element, depth: int) -> None:
        if not isinstance(element, pikepdf.Dictionary) or "/S" not in element:
            return
        page = pages[element.Pg.objgen] if "/Pg" in element else None
        found.append((depth, str(element.S), page))
        kids = element.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            visit(kid, depth + 1)

    for element in document.Root.StructTreeRoot.K:
        visit(element, 0)
    return found


def parent_tree_holds_every_page_and_link(document: pikepdf.Pdf) -> None:
    """Each page's marked content and each tagged link lead back to structure elements
    of this file, as a checker follows them."""
    nums = list(document.Root.StructTreeRoot.ParentTree.Nums)
    tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for number, page in enumerate(document.pages):
        assert int(page.obj.StructParents) == number
        for element in tree[number]:
            assert element.get("/Pg") is None or element.Pg.objgen == page.objgen
        for link in page.get("/Annots", []):
            kids = tree[int(link.StructParent)].K
            objects = [kid.Obj.objgen for kid in (kids if isinstance(kids, pikepdf.Array) else [kids])
                       if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"]
            assert link.objgen in objects


def built_both_ways(manuscript: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch,
                    options: PrintOptions = HOUSE_PRINT_OPTIONS) -> tuple[Path, Path, Path, Path]:
    """(whole PDF, joined PDF, whole EPUB, joined EPUB)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    whole = build(manuscript, scratch / "whole", print_options=options, printer=Printer(1)).outputs
    joined = build(manuscript, scratch / "joined", print_options=options, printer=Printer(2)).outputs
    sectioned = load_edition(manuscript)[0]
    assert len(print_parts(sectioned, 2)) == len(sectioned.sections), "the edition must be laid out in parts"
    return whole[0].path, joined[0].path, whole[1].path, joined[1].path


def house_print_css(styles: Path, change) -> Path:  # type: ignore[no-untyped-def]
    """A `styles/` folder whose print.css is the house's, changed by `change` (text → text)."""
    styles.mkdir()
    house = (ROOT / "src" / "hkcq_press" / "layouts" / "print.css").read_text(encoding="utf-8")
    changed = change(house)
    assert changed != house
    (styles / "print.css").write_text(changed, encoding="utf-8")
    return styles


def generated_sections(root: Path) -> Path:
    """Three sections of long and short articles, a figure in every third, some that
    the whole edition sets further down than written."""
    articles = [generated_article(seed, 3 + seed * 5 % 17, figure_after=2 if seed % 3 == 0 else None)
                for seed in range(12)]
    return generated_edition(root, articles, sections=[5, 4, 3])


@pytest.mark.parametrize("kind", ["fixture", "generated", "book"])
def test_the_joined_editions_are_the_whole_editions(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What is read (pages, outline, destinations, links), what is tagged and said of
    it (structure, metadata), and the e-book's page markers: one build each way, read
    for all of them (each way lays the edition out: the costly part)."""
    if kind == "fixture":  # links across sections, footnotes, tables, a moved figure
        whole, joined, whole_epub, joined_epub = built_both_ways(SECTIONS, tmp_path, monkeypatch)
    else:
        options = PrintOptions(page_size="book") if kind == "book" else PrintOptions()
        whole, joined, whole_epub, joined_epub = built_both_ways(
            generated_sections(tmp_path / "manuscript"), tmp_path, monkeypatch, options,
        )
    _reads_as_the_whole(whole, joined)
    _has_the_wholes_structure_and_metadata(whole, joined)
    assert joined_epub.read_bytes() == whole_epub.read_bytes(), "the e-book marks other print pages"


def _reads_as_the_whole(whole: Path, joined: Path) -> None:
    assert page_texts(joined) == page_texts(whole)
    with pikepdf.open(whole) as one, pikepdf.open(joined) as other:
        assert len(other.pages) == len(one.pages)
        assert outline(other) == outline(one)
        assert destinations(other) == destinations(one)
        assert links(other) == links(one)
        assert any(links(other)), "the contents must link to the articles"


def _has_the_wholes_structure_and_metadata(whole: Path, joined: Path) -> None:
    with pikepdf.open(whole) as one, pikepdf.open(joined) as other:
        assert structure(other) == structure(one)
        parent_tree_holds_every_page_and_link(one)
        parent_tree_holds_every_page_and_link(other)
        assert other.Root.Metadata.read_bytes() == one.Root.Metadata.read_bytes()
        assert dict(other.docinfo) == dict(one.docinfo)
        for key in ("/Lang", "/MarkInfo", "/ViewerPreferences"):
            assert other.Root[key] == one.Root[key], key
        assert sorted(other.Root.keys()) == sorted(one.Root.keys())
    assert check_pdf(joined, joined, HouseStyle()) == []


def test_an_archive_variant_keeps_its_markers_when_joined(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole, joined, _, _ = built_both_ways(SECTIONS, tmp_path, monkeypatch, PrintOptions(variant="pdf/a-3b"))
    with pikepdf.open(whole) as one, pikepdf.open(joined) as other:
        assert "/OutputIntents" in other.Root
        assert other.Root.OutputIntents[0].S == one.Root.OutputIntents[0].S
        assert other.Root.Metadata.read_bytes() == one.Root.Metadata.read_bytes()
        assert b"pdfaid:part" in other.Root.Metadata.read_bytes()
        assert other.pdf_version == one.pdf_version
    assert check_pdf(joined, joined, HouseStyle()) == []


def test_joined_editions_are_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    first = build(SECTIONS, tmp_path / "first", formats=("pdf",), printer=Printer(2)).outputs[0].path
    second = build(SECTIONS, tmp_path / "second", formats=("pdf",), printer=Printer(2)).outputs[0].path
    assert first.read_bytes() == second.read_bytes()


def test_each_section_is_a_part(tmp_path: Path) -> None:
    """In order, the first with the masthead and contents, the last with the imprint;
    the whole edition in one process with `--jobs 1` or without sections."""
    articles = [generated_article(seed, 2) for seed in range(5)]
    edition, _ = load_edition(generated_edition(tmp_path / "m", articles, sections=[1, 3, 1]))
    for jobs in (2, 3, 8):
        parts = print_parts(edition, jobs)
        assert [part.sections for part in parts] == [(section,) for section in edition.sections]
        assert [(part.front, part.back) for part in parts] == [(True, False), (False, False), (False, True)]
    assert print_parts(edition, 1) == (edition.whole,)
    unsectioned, _ = load_edition(generated_edition(tmp_path / "u", articles))
    assert print_parts(unsectioned, 4) == (unsectioned.whole,)


def test_a_system_that_cannot_fork_from_a_server_lays_out_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edition, _ = load_edition(generated_edition(
        tmp_path / "m", [generated_article(seed, 2) for seed in range(4)], sections=[2, 2]
    ))
    assert len(print_parts(edition, 2)) == 2
    monkeypatch.setattr("multiprocessing.get_all_start_methods", lambda: ["spawn"])
    assert print_parts(edition, 2) == (edition.whole,)


def test_layouts_that_lay_out_no_part_are_laid_out_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A designer's print/edition.html from before sections were laid out apart (it
    ignores `part`): laid out whole, never twice."""
    styles = tmp_path / "styles" / "print"
    styles.mkdir(parents=True)
    layout = (ROOT / "src" / "hkcq_press" / "layouts" / "print" / "edition.html").read_text(encoding="utf-8")
    layout = layout.replace("part.front", "true").replace("part.back", "true").replace("part.sections", "edition.sections")
    (styles / "edition.html").write_text(layout, encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    whole = build(SECTIONS, tmp_path / "whole", formats=("pdf",), styles_dir=tmp_path / "styles", printer=Printer(1))
    joined = build(SECTIONS, tmp_path / "joined", formats=("pdf",), styles_dir=tmp_path / "styles", printer=Printer(2))
    assert joined.outputs[0].path.read_bytes() == whole.outputs[0].path.read_bytes()


def test_the_command_line_lays_out_in_parts(tmp_path: Path) -> None:
    """And leaves nothing in the temporary folder: the parts' processes write on the
    side only in the build's scratch folder."""
    shutil.copytree(SECTIONS, tmp_path / "manuscript")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = run_cli("pdf", "--jobs", "2", cwd=tmp_path, env={"TMPDIR": str(scratch)})
    assert result.returncode == 0, result.stderr
    assert [path.name for path in scratch.iterdir() if not path.name.startswith("_jinja2-cache")] == []
    whole = run_cli("pdf", "--jobs", "1", "--out", "whole", cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr
    (joined_pdf,) = (tmp_path / "dist").glob("*.pdf")
    (whole_pdf,) = (tmp_path / "whole").glob("*.pdf")
    assert page_texts(joined_pdf) == page_texts(whole_pdf)
    refused = run_cli("pdf", "--jobs", "0", cwd=tmp_path)
    assert refused.returncode == 2 and "'0' is not a number of processes, 1 or more" in refused.stderr


def test_what_weasyprint_reports_is_reported_once_as_from_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A style WeasyPrint ignores is reported once, at its line, however many parts read it."""
    styles = house_print_css(tmp_path / "styles", lambda css: css + "\n.headline { colour: red; }\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    whole = build(SECTIONS, tmp_path / "whole", formats=("pdf",), styles_dir=styles, printer=Printer(1))
    joined = build(SECTIONS, tmp_path / "joined", formats=("pdf",), styles_dir=styles, printer=Printer(2))
    assert [str(problem) for problem in joined.warnings] == [str(problem) for problem in whole.warnings]
    assert any("colour" in str(problem) for problem in whole.warnings)


def _front_of_two_sections(tmp_path: Path) -> tuple[Edition, str, frozenset[str]]:
    """An edition of a long article, then a section of forty short ones: (the edition,
    the print HTML of its first part, with the contents, the ids that part's links
    lead to in the second)."""
    from hkcq_press.pdf.parallel.parts import _anchors
    from hkcq_press.pdf.writer import print_html

    articles = [generated_article(0, 30)] + [generated_article(seed, 1) for seed in range(1, 41)]
    edition, _ = load_edition(generated_edition(tmp_path / "m", articles, sections=[1, 40]))
    style = HouseStyle()
    first, second = print_parts(edition, 2)
    html = print_html(edition, style, part=first)
    found = _anchors(html)
    return edition, html, frozenset((found.links - found.holds) & _anchors(print_html(edition, style, part=second)).holds)


@pytest.mark.parametrize("printed, moves", [(12, False), (10**90, True)])
def test_a_part_whose_pages_move_once_it_learns_the_numbers_is_told(tmp_path: Path, printed: int, moves: bool) -> None:
    """The part with the contents learns the page numbers after its pages are made;
    when printing them moves its pages (here numbers of 91 digits put every contents
    line of the second section on two), the layout stops (and the build lays the edition
    out whole); numbers that fit leave the pages where they are."""
    import weasyprint

    from hkcq_press.pdf.parallel.hooks import PartDiverged, PartOfEdition, part_layout

    edition, html, elsewhere = _front_of_two_sections(tmp_path)
    assert len(elsewhere) == 41  # the second section and its articles

    def paginated(pages: list, targets: dict[str, int]) -> PartPages:
        return PartPages(1, printed, {name: printed for name in elsewhere})

    document = weasyprint.HTML(string=html, base_url=edition.source_dir.as_uri() + "/")
    with part_layout(PartOfEdition(frozenset(elsewhere), paginated)):
        if moves:
            with pytest.raises(PartDiverged):
                document.render()
        else:
            laid_out = document.render()
    if not moves:
        contents = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", "-", "-"],
                                  input=laid_out.write_pdf(), capture_output=True, check=True).stdout.decode()
        assert contents.count(f" {printed}\n") >= 30, "the numbers learned are printed in the contents"


def test_a_part_told_its_place_before_its_pages_settle_prints_the_same_pages_sooner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stored front laid out again may be told its place unasked: found at the end
    of a pass, the numbers are printed in the next, not after the passes that settle
    its own; the same PDF, in fewer passes. It still says how it was paginated."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    edition, html, elsewhere = _front_of_two_sections(tmp_path)
    told = _told(elsewhere)
    pdfs, counts, reported = [], [], []
    for unasked in (False, True):
        part = PartOfEdition(elsewhere, lambda pages, targets: reported.append(len(pages)) or told,
                             told_already=(lambda: told) if unasked else (lambda: None))
        pdf, passes = _part_laid_out(edition, html, part, monkeypatch)
        pdfs.append(pdf)
        counts.append(passes)
    assert pdfs[0] == pdfs[1]
    assert counts[1] < counts[0], counts
    assert reported[0] == reported[1], "paginated alike, and said so both ways"
    contents = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", "-", "-"],
                              input=pdfs[1], capture_output=True, check=True).stdout.decode()
    assert " 7\n" in contents and " 8\n" in contents, "the numbers told are printed in the contents"


def test_a_part_that_prints_no_total_is_not_made_again_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """WeasyPrint makes a page that prints a target's number once more when it learns
    the total of pages, which it does not print: told the total, the part's layout
    skips that pass and writes the same PDF."""
    from hkcq_press.pdf.parallel.hooks import _Part

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    edition, html, elsewhere = _front_of_two_sections(tmp_path)
    told = _told(elsewhere)
    pdfs, counts = [], []
    for skipped in (False, True):
        if skipped:
            monkeypatch.setattr(_Part, "_total_known", staticmethod(lambda context, total: None))
        pdf, passes = _part_laid_out(edition, html, PartOfEdition(elsewhere, lambda pages, targets: told), monkeypatch)
        pdfs.append(pdf)
        counts.append(passes)
    assert pdfs[0] == pdfs[1]
    assert counts[0] == counts[1] - 1, counts


def _told(elsewhere: frozenset[str]) -> PartPages:
    """The front's place in an edition of 40 pages, its links' targets from page 7 on."""
    return PartPages(1, 40, {name: 7 + number for number, name in enumerate(sorted(elsewhere))})


def _part_laid_out(edition: Edition, html: str, part: PartOfEdition,
                   monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, int]:
    """The part's PDF, and how many passes WeasyPrint made over its pages."""
    import weasyprint
    from weasyprint import layout

    from hkcq_press.pdf.parallel.hooks import part_layout

    passes = 0
    stock = layout.make_all_pages

    def counted(*arguments):  # type: ignore[no-untyped-def]
        nonlocal passes
        passes += 1
        yield from stock(*arguments)

    with monkeypatch.context() as patched:
        patched.setattr(layout, "make_all_pages", counted)
        with part_layout(part):
            laid_out = weasyprint.HTML(string=html, base_url=edition.source_dir.as_uri() + "/").render()
    return laid_out.write_pdf(), passes


def test_a_style_of_left_and_right_pages_is_laid_out_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part's pages fall elsewhere in it than in the edition (a section may open on a
    left-hand page): a style that styles pages by their place is laid out whole."""
    styles = house_print_css(tmp_path / "styles", lambda css: css + "\n@page :left { margin-left: 30mm; }\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    edition, _ = load_edition(SECTIONS)
    assert len(print_parts(edition, 2, [(styles / "print.css").read_text(encoding="utf-8")])) == 1
    assert len(print_parts(edition, 2, ["@page { size: A4 } p:first-child { margin: 0 }"])) == 3
    whole = build(SECTIONS, tmp_path / "whole", formats=("pdf",), styles_dir=styles, printer=Printer(1))
    joined = build(SECTIONS, tmp_path / "joined", formats=("pdf",), styles_dir=styles, printer=Printer(2))
    assert joined.outputs[0].path.read_bytes() == whole.outputs[0].path.read_bytes()
    assert not (tmp_path / "joined" / ".hkcq-press-parts").exists()


def test_a_failure_is_raised_as_the_machines_condition_or_names_the_work() -> None:
    """`Failed` is decoded in one place for both ends: a full disk is raised as
    itself (the command reports it as for itself), anything else as a failure of the
    named work, with the process's traceback."""
    full = OSError(28, "No space left on device")
    assert Failed("Traceback …", full).raised("part 2 of the edition") is full
    raised = Failed("Traceback … KeyError: 'x'").raised("part 2 of the edition")
    assert isinstance(raised, RuntimeError)
    assert str(raised) == "laying out part 2 of the edition failed:\nTraceback … KeyError: 'x'"


def test_every_message_crosses_a_pipe_as_itself() -> None:
    sent = [PageMade(3), Paginated(4, {"a": 2}), PartPages(5, 12, {"b": 9}), Diverged("3 pages became 4"),
            Failed("Traceback", OSError(28, "full")), Rendered("<html></html>"), Forked(1234)]
    ours, theirs = multiprocessing.Pipe()
    with ours, theirs:
        for message in sent:
            ours.send(message)
            heard = theirs.recv()
            assert type(heard) is type(message)
            if not isinstance(message, Failed):
                assert heard == message
