"""A rebuild of an edition of sections lays out again only the sections whose copy
changed and those whose printed page numbers moved; the rest it takes from the output
folder's store (`pdf/parallel/store.py`). Whatever it reuses, the PDF is the one a build from
nothing makes of the same manuscript, byte for byte."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pikepdf
import pytest
from conftest import SECTIONS, run_cli
from hypothesis import given
from hypothesis import strategies as st
from support import generated_article, generated_edition
from test_parallel import EPOCH, house_print_css, page_texts

from hkcq_press.build import build
from hkcq_press.errors import Problem
from hkcq_press.pdf.parallel.process import LayoutProcess
from hkcq_press.model.edition import PrintOptions
from hkcq_press.markup.pagemap import PageStart
from hkcq_press.pdf.parallel.store import CACHE_FOLDER
from hkcq_press.pdf.copyfit import PageFill
from hkcq_press.pdf.parallel.messages import PartLaidOut
from hkcq_press.pdf.parallel.parts import PRINTS_TOTAL
from hkcq_press.pdf.placement import Placement
from hkcq_press.pdf.printing import Printer

# Three sections of two articles: 3, 8 | 5, 2 | 6, 4 paragraphs.
PARAGRAPHS = [3, 8, 5, 2, 6, 4]


def edition(root: Path) -> Path:
    return generated_edition(root, [generated_article(seed, count) for seed, count in enumerate(PARAGRAPHS)],
                             sections=[2, 2, 2])


def kept(out_dir: Path) -> dict[str, tuple[int, int]]:
    """Each stored part's key → its PDF's inode and modification time: what a build
    wrote there, and what it left alone."""
    return {
        pdf.parent.name: (pdf.stat().st_ino, pdf.stat().st_mtime_ns)
        for pdf in (out_dir / CACHE_FOLDER).glob("*/*/part.pdf")
    }


def folios(out_dir: Path) -> list[tuple[int, int]]:
    """The stored folios' PDF's inode and modification time."""
    return [(pdf.stat().st_ino, pdf.stat().st_mtime_ns) for pdf in (out_dir / CACHE_FOLDER).glob("*/*/folios.pdf")]


def pdf_bytes(manuscript: Path, out_dir: Path, **options: object) -> bytes:
    (output,) = build(manuscript, out_dir, formats=("pdf",), printer=Printer(2), **options).outputs  # type: ignore[arg-type]
    return output.path.read_bytes()


def rebuilt(manuscript: Path, tmp_path: Path, change) -> tuple[dict, dict, bytes, bytes]:  # type: ignore[no-untyped-def]
    """Build, `change` the manuscript, build again into the same folder and into a
    fresh one: (stored parts before, after, the PDF rebuilt, the PDF built from nothing)."""
    pdf_bytes(manuscript, tmp_path / "dist")
    before = kept(tmp_path / "dist")
    change(manuscript)
    again = pdf_bytes(manuscript, tmp_path / "dist")
    fresh = pdf_bytes(manuscript, tmp_path / "fresh")
    return before, kept(tmp_path / "dist"), again, fresh


def story(manuscript: Path, number: int) -> Path:
    return manuscript / "articles" / f"story-{number:02d}.md"


def swap_a_word(article: Path) -> None:
    """One word of the copy for another of its length: the same lines, most likely."""
    text = article.read_text(encoding="utf-8")
    body = text.split("---\n")[-1]
    words = [word for word in body.split() if word.isalpha()]
    one, other = next((a, b) for a in words for b in words if a != b and len(a) == len(b) > 3)
    changed = text.replace(body, re.sub(rf"\b{one}\b", other, body, count=1))
    assert changed != text
    article.write_text(changed, encoding="utf-8")


@pytest.fixture(autouse=True)
def _reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


@pytest.fixture(autouse=True, params=["fork server", "layout process"])
def _forked_from(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every rule both ways: the parts forked from the fork server (a caller of the
    API), and from the layout process the command line starts, which starts the
    front and the changed sections while the others are rendered."""
    if request.param == "fork server":
        return

    stock = build

    def built_with_a_layout_process(*arguments, **options):  # type: ignore[no-untyped-def]
        process = LayoutProcess()
        try:
            jobs = options.pop("printer", Printer()).jobs
            return stock(*arguments, **options, printer=Printer(jobs, process))
        finally:
            process.stop()

    monkeypatch.setitem(globals(), "build", built_with_a_layout_process)


def test_a_word_changed_lays_out_only_its_section(tmp_path: Path) -> None:
    """Same pages after the change: the other two sections' PDFs are left as they were."""
    manuscript = edition(tmp_path / "m")

    def change(manuscript: Path) -> None:
        swap_a_word(story(manuscript, 3))

    pdf_bytes(manuscript, tmp_path / "dist")
    before, stored_folios = kept(tmp_path / "dist"), folios(tmp_path / "dist")
    change(manuscript)
    again = pdf_bytes(manuscript, tmp_path / "dist")
    after = kept(tmp_path / "dist")
    assert len(before) == 3
    assert len(after) == 3
    unchanged = {key: stamp for key, stamp in after.items() if before.get(key) == stamp}
    assert len(unchanged) == 2, "only the changed section is laid out again"
    assert len(stored_folios) == 1 and folios(tmp_path / "dist") == stored_folios, "the folios are reused"
    assert again == pdf_bytes(manuscript, tmp_path / "fresh")


def test_a_section_that_grows_moves_the_numbers_of_the_others(tmp_path: Path) -> None:
    """Pages added to the middle section: the contents on the front page move, so the
    first section is laid out again; the last section's folios move, which the join
    draws: it is reused. The PDF is as built from nothing, its last pages numbered on
    from the new ones."""
    manuscript = edition(tmp_path / "m")
    pages_before = len(page_texts(Path(build(manuscript, tmp_path / "first", formats=("pdf",), printer=Printer(2))
                                       .outputs[0].path)))

    pdf_bytes(manuscript, tmp_path / "dist")
    before, stored_folios = kept(tmp_path / "dist"), folios(tmp_path / "dist")
    grow_the_middle(manuscript)
    again = pdf_bytes(manuscript, tmp_path / "dist")
    after = kept(tmp_path / "dist")
    assert len(set(after.items()) & set(before.items())) == 1, "the last section is reused"
    assert folios(tmp_path / "dist") == stored_folios, "the folios were laid out with room for more pages"
    assert again == pdf_bytes(manuscript, tmp_path / "fresh")
    texts = page_texts(tmp_path / "dist" / next(p.name for p in (tmp_path / "dist").glob("*.pdf")))
    assert len(texts) > pages_before
    assert texts[-1].split()[-1] == str(len(texts)), "the last folio counts every page"


def test_the_last_section_growing_leaves_the_others(tmp_path: Path) -> None:
    """Pages added at the end of the last section move no number another section
    prints (the house style prints no total): only the last is laid out again."""
    manuscript = edition(tmp_path / "m")

    def change(manuscript: Path) -> None:
        text = story(manuscript, 6).read_text(encoding="utf-8")
        story(manuscript, 6).write_text(text + "\n" + "\n\n".join(text.split("\n\n")[1:]) * 4, encoding="utf-8")

    before, after, again, fresh = rebuilt(manuscript, tmp_path, change)
    assert len({key: stamp for key, stamp in after.items() if before.get(key) == stamp}) == 2
    assert again == fresh


def test_a_style_that_prints_the_total_lays_out_every_section_whose_total_moved(tmp_path: Path) -> None:
    manuscript = edition(tmp_path / "m")
    styles = house_print_css(
        tmp_path / "styles",
        lambda css: css.replace("content: counter(page, folio);", 'content: counter(page, folio) " of " counter(pages);'),
    )

    def built(out_dir: Path) -> bytes:
        return pdf_bytes(manuscript, out_dir, styles_dir=styles)

    built(tmp_path / "dist")
    before, stored_folios = kept(tmp_path / "dist"), folios(tmp_path / "dist")
    story(manuscript, 6).write_text(generated_article(5, 40), encoding="utf-8")
    again = built(tmp_path / "dist")
    assert not set(kept(tmp_path / "dist").items()) & set(before.items())
    assert len(folios(tmp_path / "dist")) == 1 and folios(tmp_path / "dist") != stored_folios
    assert again == built(tmp_path / "fresh")


def test_a_damaged_stored_part_is_laid_out_again(tmp_path: Path) -> None:
    manuscript = edition(tmp_path / "m")
    pdf_bytes(manuscript, tmp_path / "dist")
    for pdf in (tmp_path / "dist" / CACHE_FOLDER).glob("*/*/part.pdf"):
        pdf.write_bytes(pdf.read_bytes()[:-200])
    story(manuscript, 1).write_text(generated_article(0, 4), encoding="utf-8")  # so the edition is built again
    assert pdf_bytes(manuscript, tmp_path / "dist") == pdf_bytes(manuscript, tmp_path / "fresh")


def test_force_lays_every_section_out_and_leaves_the_store(tmp_path: Path) -> None:
    manuscript = edition(tmp_path / "m")
    pdf_bytes(manuscript, tmp_path / "dist")
    (tmp_path / "dist" / CACHE_FOLDER / "another").mkdir()
    before = kept(tmp_path / "dist")
    swap_a_word(story(manuscript, 1))
    forced = pdf_bytes(manuscript, tmp_path / "dist", force=True)
    assert kept(tmp_path / "dist") == before, "a forced build neither reads nor writes the store"
    assert forced == pdf_bytes(manuscript, tmp_path / "from nothing"), "the same bytes as a build from nothing"
    swap_a_word(story(manuscript, 5))
    again = pdf_bytes(manuscript, tmp_path / "dist")
    after = kept(tmp_path / "dist")
    assert len(after) == 3 and len(set(after.items()) & set(before.items())) == 1, "the middle section is reused"
    assert again == pdf_bytes(manuscript, tmp_path / "fresh")
    assert (tmp_path / "dist" / CACHE_FOLDER / "another").is_dir(), "another manuscript's folder is its own"


def test_the_command_line_reuses_the_sections_it_laid_out(tmp_path: Path) -> None:
    shutil.copytree(SECTIONS, tmp_path / "manuscript")
    first = run_cli("pdf", "--jobs", "2", cwd=tmp_path, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert first.returncode == 0, first.stderr
    before = kept(tmp_path / "dist")
    letters = tmp_path / "manuscript" / "articles" / "letters.md"
    letters.write_text(letters.read_text(encoding="utf-8").replace("my commute", "our commute", 1), encoding="utf-8")
    second = run_cli("pdf", "--jobs", "2", cwd=tmp_path, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert second.returncode == 0, second.stderr
    fresh = run_cli("pdf", "--jobs", "2", "--out", "fresh", cwd=tmp_path, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert fresh.returncode == 0, fresh.stderr
    (rebuilt_pdf,) = (tmp_path / "dist").glob("*.pdf")
    (fresh_pdf,) = (tmp_path / "fresh").glob("*.pdf")
    assert rebuilt_pdf.read_bytes() == fresh_pdf.read_bytes()
    assert "cut our commute" in " ".join(" ".join(page_texts(rebuilt_pdf)).split())
    # Chongqing flows on after Hong Kong (the page between would be a third full): the
    # store holds both sections laid out apart (how a build finds that) and together;
    # all three are reused, and only the letters' part is laid out again.
    after = kept(tmp_path / "dist")
    reused = set(after.items()) & set(before.items())
    assert len(reused) == 3 and len(after) - len(reused) == 1


def test_the_total_is_found_in_any_style_that_prints_it() -> None:
    assert PRINTS_TOTAL.search("@bottom-right { content: counter(pages) }")
    assert PRINTS_TOTAL.search("content: counters( pages , '.')")
    assert not PRINTS_TOTAL.search("content: counter(page); /* pages */")


texts = st.text(max_size=12)


@given(
    pages=st.integers(1, 500),
    starts=st.lists(st.builds(PageStart, st.integers(1, 500), texts, st.integers(-1, 50), st.integers(0, 999),
                              st.booleans()), max_size=5),
    reported=st.lists(st.tuples(st.sampled_from(["warning", "error"]), texts), max_size=3),
    warnings=st.lists(st.builds(Problem, st.builds(Path, st.text("abc/", min_size=1, max_size=8)),
                                st.one_of(st.none(), st.integers(1, 99)), texts, texts,
                                st.sampled_from(["warning", "error"]), texts), max_size=3),
    moves=st.dictionaries(texts, st.dictionaries(st.integers(1, 999), st.integers(1, 9), max_size=3), max_size=3),
    targets=st.frozensets(texts, max_size=5),
    heads=st.frozensets(texts, max_size=3),
    folios=st.frozensets(st.integers(0, 499), max_size=5),
    fills=st.lists(st.builds(PageFill, st.tuples(st.floats(0, 999), st.floats(0, 999)), st.floats(0, 999),
                             st.floats(0, 99), st.integers(1, 2), st.lists(texts, max_size=3).map(tuple)), max_size=4),
)
def test_what_a_part_gave_back_is_kept_as_it_was(  # type: ignore[no-untyped-def]
    pages, starts, reported, warnings, moves, targets, heads, folios, fills,
) -> None:
    import json

    laid_out = PartLaidOut(pages, tuple(starts), reported, warnings, Placement(moves, heads), targets, folios,
                           tuple(fills))
    again = PartLaidOut.from_data(json.loads(json.dumps(laid_out.as_data())))
    assert again.as_data() == laid_out.as_data()
    assert (again.pages, again.page_starts, again.reported, again.warnings, again.targets, again.folios_left,
            again.page_fill) == (pages, tuple(starts), reported, warnings, targets, folios, tuple(fills))
    assert {key: dict(lines) for key, lines in again.placement.moves.items()} == moves
    assert again.placement.kept_heads == heads


def grow_the_middle(manuscript: Path) -> None:
    story(manuscript, 3).write_text(generated_article(2, 30), encoding="utf-8")


def test_the_join_draws_the_folios_the_sections_leave_to_it(tmp_path: Path) -> None:
    """A stored section prints no folio; the joined PDF lays each page's folio over it,
    marked as an artifact (not the copy), and every page prints its own number."""
    manuscript = edition(tmp_path / "m")
    (output,) = build(manuscript, tmp_path / "dist", formats=("pdf",), printer=Printer(2)).outputs
    last = page_texts(output.path)[-1]
    stored = [pdf for pdf in (tmp_path / "dist" / CACHE_FOLDER).glob("*/*/part.pdf")]
    assert len(stored) == 3
    for pdf in stored:
        for text in page_texts(pdf):
            assert not text.split()[-1].isdigit(), "a stored section's pages end with their copy"
    assert last.split()[-1] == str(len(page_texts(output.path)))
    with pikepdf.open(output.path) as joined:
        for number, page in enumerate(joined.pages, 1):
            drawing = b"".join(stream.read_bytes() for stream in page.obj.Contents) \
                if isinstance(page.obj.Contents, pikepdf.Array) else page.obj.Contents.read_bytes()
            assert drawing.rstrip().endswith(f"/Artifact BMC q /Folio{number} Do Q EMC".encode())


def test_a_folio_beside_other_text_stays_in_its_section(tmp_path: Path) -> None:
    """A style whose folio shares the foot of the page with other text: each section
    prints its own folios, so the sections after one that grew are laid out again;
    the pages read as laid out whole."""
    manuscript = edition(tmp_path / "m")
    styles = house_print_css(
        tmp_path / "styles", lambda css: css + '\n@page { @bottom-left { content: "Hong Kong–Chongqing"; } }\n'
    )
    pdf_bytes(manuscript, tmp_path / "dist", styles_dir=styles)
    before = kept(tmp_path / "dist")
    grow_the_middle(manuscript)
    again = pdf_bytes(manuscript, tmp_path / "dist", styles_dir=styles)
    assert not set(kept(tmp_path / "dist").items()) & set(before.items())
    assert again == pdf_bytes(manuscript, tmp_path / "fresh", styles_dir=styles)
    (whole,) = build(manuscript, tmp_path / "whole", formats=("pdf",), styles_dir=styles, printer=Printer(1)).outputs
    (joined,) = (tmp_path / "dist").glob("*.pdf")
    assert page_texts(joined) == page_texts(whole.path)
    assert all("Hong Kong–Chongqing" in text for text in page_texts(joined))


def test_a_section_that_prints_its_own_page_numbers_is_laid_out_again_when_they_move(tmp_path: Path) -> None:
    """The last section links one of its articles to the other ("page N" after the
    link): when the middle section grows, its numbers move, so it is laid out again."""
    manuscript = edition(tmp_path / "m")
    text = story(manuscript, 5).read_text(encoding="utf-8")
    story(manuscript, 5).write_text(text + "\nMore in [the next story](story-06.md).\n", encoding="utf-8")
    before, after, again, fresh = rebuilt(manuscript, tmp_path, grow_the_middle)
    assert not set(after.items()) & set(before.items())
    assert again == fresh


def test_the_e_book_marks_the_same_print_pages_after_a_rebuild(tmp_path: Path) -> None:
    """The EPUB's print page list comes from the sections' layouts, stored ones
    included: after the middle section grows, it is the one a build from nothing makes."""
    manuscript = edition(tmp_path / "m")
    build(manuscript, tmp_path / "dist", printer=Printer(2))
    grow_the_middle(manuscript)
    again = {output.format: output.path.read_bytes() for output in build(manuscript, tmp_path / "dist", printer=Printer(2)).outputs}
    fresh = {output.format: output.path.read_bytes() for output in build(manuscript, tmp_path / "fresh", printer=Printer(2)).outputs}
    assert again == fresh
    whole = {output.format: output.path.read_bytes() for output in build(manuscript, tmp_path / "whole", printer=Printer(1)).outputs}
    assert again["epub"] == whole["epub"]


def test_the_folios_are_written_as_the_variant_asks(tmp_path: Path) -> None:
    """PDF/A-1b wants every CID font to list its glyphs (CIDSet): the folios drawn
    at the join are written in the variant's PDF version, as the sections are."""
    manuscript = edition(tmp_path / "m")
    options = PrintOptions("pdf/a-1b")
    (output,) = build(manuscript, tmp_path / "dist", formats=("pdf",), printer=Printer(2), print_options=options).outputs
    with pikepdf.open(output.path) as joined:
        assert str(joined.pdf_version) == "1.4"
        folios = [form for page in joined.pages for name, form in page.Resources.XObject.items()
                  if name.startswith("/Folio")]
        assert folios
        for form in folios:
            assert "/Group" not in form
            for font in form.Resources.Font.values():
                assert "/CIDSet" in font.DescendantFonts[0].FontDescriptor


def test_a_stored_part_gone_before_it_is_copied_is_laid_out_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another build into the same folder may prune the store while this one runs:
    a stored PDF that is gone when this build would take it is laid out again."""
    from hkcq_press.pdf.parallel.store import StoredPart

    manuscript = edition(tmp_path / "m")
    pdf_bytes(manuscript, tmp_path / "dist")
    reusable = StoredPart.reusable

    def pruned_meanwhile(self, *arguments):  # type: ignore[no-untyped-def]
        self.pdf.unlink(missing_ok=True)
        return reusable(self, *arguments)

    monkeypatch.setattr(StoredPart, "reusable", pruned_meanwhile)
    swap_a_word(story(manuscript, 3))
    assert pdf_bytes(manuscript, tmp_path / "dist") == pdf_bytes(manuscript, tmp_path / "fresh")
    assert len(kept(tmp_path / "dist")) == 3
