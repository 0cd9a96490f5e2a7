"""What the render process loads once for every section's fork (layout/warm.py) changes nothing laid out."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import copy_fixture, digests, run_cli
from issue_builder.base.paths import FONTS_DIR
from issue_builder.layout import parallel
from issue_builder.layout.engine import ffi
from issue_builder.layout.warm import _Types, fast_array_types


def _render(capsys, manifest: Path, out: Path) -> tuple[dict[str, str], list[str]]:
    result = run_cli(capsys, "render", str(manifest), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    return {k: v for k, v in digests(out).items() if k.endswith(".pdf")}, warnings


def _cold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every section's fork loads everything itself, as before layout/warm.py."""
    monkeypatch.setattr(parallel, "fast_array_types", lambda: None)
    monkeypatch.setattr(parallel.Env, "warm", lambda self: None)
    monkeypatch.setattr(parallel.Env, "share_fonts", lambda self, task: None)


@pytest.mark.slow
@pytest.mark.parametrize("fixture, manifest", [("realtext", "1.yaml"), ("bulletin", "7.yaml")])
def test_the_same_pdfs_with_and_without_what_is_loaded_once(capsys, tmp_path, monkeypatch, fixture, manifest):
    folder = copy_fixture(fixture, tmp_path)
    warm, warm_said = _render(capsys, folder / manifest, tmp_path / "warm")
    with monkeypatch.context() as patch:
        _cold(patch)
        cold, cold_said = _render(capsys, folder / manifest, tmp_path / "cold")
    assert warm and warm == cold
    assert warm_said == cold_said == []


INTER_BLACK = sorted(FONTS_DIR.glob("inter/Inter-Black.*"))[0].as_uri()
STYLES = {
    # what WeasyPrint says as it parses, or as it cascades a var() (and marks on the rule as said)
    "says": ("p { colour: nonsense; widows: banana; }", ["colour: nonsense", "widows: banana"]),
    "var": (".masthead-title { --size: banana; font-size: var(--size); }", ["font-size: banana"]),
    # a face that cannot be loaded: said once per layout that declares it
    "broken": ('@font-face { font-family: "Broken Face"; src: url(7/bad.ttf); }', ["'Broken Face' cannot be loaded"]),
    # a face only the articles declare: no other part may find it (the front is laid out again after them, at
    # their page numbers, and its masthead is set in Bebas Neue)
    "articles only": (
        '{% if part == "article" %}@font-face { font-family: "Bebas Neue"; src: url("'
        + INTER_BLACK
        + '"); font-weight: 400; font-style: normal; }{% endif %}',
        [],
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(STYLES))
def test_a_layout_stylesheet_gives_what_it_gives_every_section_laid_out_alone(capsys, tmp_path, monkeypatch, case):
    style, said = STYLES[case]
    folder = copy_fixture("bulletin", tmp_path)
    (folder / "7" / "bad.ttf").write_bytes(bytes(range(256)) * 40)
    with open(folder / "layout" / "css" / "extra.css", "a", encoding="utf-8") as css:
        css.write(f"\n{style}\n")
    warm, warm_said = _render(capsys, folder / "7.yaml", tmp_path / "warm")
    with monkeypatch.context() as patch:
        _cold(patch)
        cold, cold_said = _render(capsys, folder / "7.yaml", tmp_path / "cold")
    assert warm == cold
    assert warm_said == cold_said
    assert all(any(words in line for line in warm_said) for words in said), warm_said


def test_array_types_of_any_length_are_the_types_cffi_parses():
    fast_array_types()
    assert isinstance(ffi._parsed_types, _Types)
    for length in (1, 17, 4099):
        made = ffi._parsed_types[f"hb_codepoint_t[{length}]"][0]
        with ffi._lock:  # cffi's own way: its parser, then its types
            parsed = ffi._get_cached_btype(ffi._parser.parse_type(f"hb_codepoint_t[{length}]"))
        assert made is parsed and made.kind == "array" and made.length == length
        assert ffi.sizeof(made) == 4 * length
        assert list(ffi.new(made, list(range(length)))) == list(range(length))
    with pytest.raises(KeyError):
        ffi._parsed_types["struct nothing_of_the_kind"]


_LOADED = """
import ctypes.util, json, sys
usual = ctypes.util.find_library
if sys.argv[1] == "engine":
    import issue_builder.layout.engine
else:
    import weasyprint
from weasyprint.text import ffi
names = ("gobject", "pango", "harfbuzz", "harfbuzz_subset", "harfbuzz_vector", "fontconfig", "pangoft2")
maps = sorted({line.split()[-1] for line in open("/proc/self/maps") if ".so" in line})
print(json.dumps({
    "found": [name for name in names if getattr(ffi, name) is not None],
    "files": [path for path in maps if any(part in path for part in ("gobject", "pango", "harfbuzz", "fontconfig"))],
    "restored": ctypes.util.find_library is usual,
}))
"""


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the libraries a process mapped (Linux)")
def test_weasyprint_loads_the_same_libraries_as_with_the_usual_lookup():
    import json
    import subprocess
    import sys

    def loaded(how: str) -> dict:
        done = subprocess.run([sys.executable, "-c", _LOADED, how], capture_output=True, text=True, check=True)
        return json.loads(done.stdout)

    ours, usual = loaded("engine"), loaded("plain")
    assert {"gobject", "pango", "harfbuzz", "harfbuzz_subset", "fontconfig"} <= set(ours["found"])
    assert ours["found"] == usual["found"]
    assert ours["files"] and ours["files"] == usual["files"]
    assert ours["restored"]
