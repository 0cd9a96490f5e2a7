"""`comments --apply`: the unambiguous corrections made in the sources, each checked to change exactly its words,
written all or nothing, shown as a unified diff."""

from __future__ import annotations

import difflib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from issue_builder.base.atomic import replace_all
from issue_builder.base.diagnostics import OutputError, display_path
from issue_builder.load.yaml_source import KeyPath, parse_yaml
from issue_builder.prepare.text_files import read_utf8
from issue_builder.proofing.comments import Comment, CommentsReport
from issue_builder.proofing.sources import BLOCK, SourceText, markdown_chars

CLOSING = ".,;:!?)]}’”»"  # after these, a deleted word takes the space before it along


@dataclass
class Edit:
    """One correction as a change of a file's text."""

    comment: Comment
    source: SourceText
    start: int
    end: int
    new: str


@dataclass
class Applied:
    """What --apply changed."""

    files: list[Path]
    diff: str
    made: int


def apply_corrections(report: CommentsReport) -> Applied:
    """Make every correction of `report` that nothing blocks; a correction that would change more than its words
    is blocked instead. Files are written all or nothing; `report`'s comments say which were applied."""
    edits: list[Edit] = []
    shared = report.issue.publication_path
    for comment in report.comments:
        if comment.action and not comment.blocked:
            if shared is not None and comment.place is not None and comment.place.source.file == shared:
                comment.blocked = "it is in the publication file, shared by every issue: correct it by hand"
                continue
            edit = _edit(comment)
            if edit is not None:
                edits.append(edit)
    by_file: dict[Path, list[Edit]] = {}
    for edit in edits:
        by_file.setdefault(edit.source.file, []).append(edit)
    originals = {path: report.sources.files[path] for path in by_file}
    results: dict[Path, str] = {}
    for path, found in by_file.items():
        kept = _without_overlaps(found)
        text = originals[path]
        for edit in sorted(kept, key=lambda e: -e.start):
            text = text[: edit.start] + edit.new + text[edit.end :]
        problem = _check_together(kept, text) if len(kept) > 1 else None
        if problem is not None:  # each right alone, but not together (a `[` here and a `](url)` there)
            for edit in kept:
                edit.comment.blocked = problem
            continue
        if text != originals[path]:
            results[path] = text
        for edit in kept:
            edit.comment.applied = True
    _write(results, originals)
    diff = "".join(
        "".join(
            difflib.unified_diff(
                originals[path].splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"a/{display_path(path)}",
                tofile=f"b/{display_path(path)}",
            )
        )
        for path, text in results.items()
    )
    return Applied(list(results), diff, sum(c.applied for c in report.comments))


def _edit(comment: Comment) -> Edit | None:
    """The change a correction makes, checked on its own; None (and the comment blocked) when it cannot be made."""
    place = comment.place
    source, text = place.source, place.source.text
    new = comment.mark.new_text.strip() if comment.mark.new_text else ""
    start, end = place.start, place.end
    if comment.action == "delete":
        start, end = _with_a_space(source, start, end)
        new = ""
    elif comment.action == "insert":
        new = _spaced(text, start, new)
        if text[start - len(new) : start] == new or text[start : start + len(new)] == new:
            comment.blocked = "the sources already read so"
            return None
    if text[start:end] == new:
        comment.blocked = "the sources already read so"
        return None
    for written in _writings(new):
        edit = Edit(comment, source, start, end, written)
        problem = _check(edit)
        if problem is None:
            return edit
    comment.blocked = problem
    return None


def _with_a_space(source: SourceText, start: int, end: int) -> tuple[int, int]:
    """A deleted word's span with one of the spaces around it, so that its neighbours stay one space apart: the
    space before it, or the one after it when it begins its line, paragraph or value."""
    text = source.text
    before = text[start - 1] if start > 0 else "\n"
    after = text[end] if end < len(text) else "\n"
    first = not any(start - 2 == at for _, at in source.chars)  # no printed character before that space
    if before == " " and not first and (after in " \n" or after in CLOSING):
        return start - 1, end
    if (before in "\n" or first) and after == " ":
        return start, end + 1
    return start, end


def _spaced(text: str, at: int, new: str) -> str:
    """Inserted words as typed, with a space on their far side when put beside a space, next to a word."""
    before = text[at - 1] if at > 0 else "\n"
    after = text[at] if at < len(text) else "\n"
    if before.isspace() and after.isalnum() and new[-1:].isalnum():
        return new + " "
    if before.isalnum() and after.isspace() and new[:1].isalnum():
        return " " + new
    return new


def _writings(new: str) -> list[str]:
    """The new text as typed, then escaped for a single- or double-quoted YAML value."""
    found = [new, new.replace("'", "''"), new.replace("\\", "\\\\").replace('"', '\\"')]
    return list(dict.fromkeys(found))


def _check(edit: Edit) -> str | None:
    """Why the edit would change more than its words (or leave a line or value without words); None when it
    changes exactly them."""
    source, text = edit.source, edit.source.text
    changed = text[: edit.start] + edit.new + text[edit.end :]
    line_start = text.rfind("\n", 0, edit.start) + 1
    line_end = changed.find("\n", line_start + len(edit.new))
    line = changed[line_start : line_end if line_end >= 0 else len(changed)]
    if not any(c.isalnum() for c in line):
        return "it would leave the line without words: delete it by hand"
    if source.key:
        return _check_value(edit, changed)
    printed = [(c, at) for c, at in source.chars if c != BLOCK]
    expected = [c for c, at in printed if at < edit.start] + list(edit.new) + [c for c, at in printed if at >= edit.end]
    now = [c for c, _ in markdown_chars(changed) if c != BLOCK]
    if _spaced_out("".join(now)) != _spaced_out("".join(expected)):
        return "the change would alter the Markdown around it: correct it by hand"
    return None


def _check_together(edits: list[Edit], changed: str) -> str | None:
    """Why a file's corrections, each right on its own, change more than their words together; None when the file
    then prints exactly the old text with each correction made (and other values as they were)."""
    sources = {id(e.source): e.source for e in edits}
    if any(e.source.key for e in edits):
        keys = [e.source.key for e in edits]
        if len(set(keys)) < len(keys):
            return "several corrections of one value: correct it by hand"
        old, _ = parse_yaml(edits[0].source.text, edits[0].source.file)
        new, problems = parse_yaml(changed, edits[0].source.file)
        if old is None or new is None or problems:
            return "the corrections together would break the YAML: correct them by hand"
        rest_old, rest_new = old.data, new.data
        for edit in edits:
            path = _key_path(edit.source.key)
            before = "".join(c for c, at in edit.source.chars if at < edit.start)
            after = "".join(c for c, at in edit.source.chars if at >= edit.end)
            value = _get(new.data, path)
            if value is None or _spaced_out(value) != _spaced_out(before + _unescaped(edit) + after):
                return "the corrections together would alter a value otherwise: correct them by hand"
            rest_old, rest_new = _without(rest_old, path), _without(rest_new, path)
        return None if rest_old == rest_new else "the corrections together would alter other values: by hand"
    if len(sources) != 1:
        return "corrections of one file from several sources: correct them by hand"
    (source,) = sources.values()
    printed = [(c, at) for c, at in source.chars if c != BLOCK]
    expected: list[str] = []
    ordered = sorted(edits, key=lambda e: e.start)
    for c, at in printed:
        while ordered and ordered[0].end <= at and ordered[0].start <= at:
            expected += list(ordered.pop(0).new)
        if not any(e.start <= at < e.end for e in edits):
            expected.append(c)
    for edit in ordered:
        expected += list(edit.new)
    now = [c for c, _ in markdown_chars(changed) if c != BLOCK]
    if _spaced_out("".join(now)) != _spaced_out("".join(expected)):
        return "the corrections together would alter the Markdown around them: correct them by hand"
    return None


def _check_value(edit: Edit, changed: str) -> str | None:
    """Why a changed manifest value would not read as asked, or other values would change; None when it is right."""
    source = edit.source
    before = "".join(c for c, at in source.chars if at < edit.start)
    after = "".join(c for c, at in source.chars if at >= edit.end)
    old, _ = parse_yaml(source.text, source.file)
    new, problems = parse_yaml(changed, source.file)
    if old is None or new is None or problems:
        return "the change would break the YAML: correct it by hand"
    path = _key_path(source.key)
    wanted = before + _unescaped(edit) + after
    if not wanted.strip():
        return "it would leave the value empty: change it by hand"
    if _get(new.data, path) is None or _spaced_out(_get(new.data, path)) != _spaced_out(wanted):
        return "the change would alter the YAML value otherwise: correct it by hand"
    if _without(old.data, path) != _without(new.data, path):
        return "the change would alter other values: correct it by hand"
    return None


def _unescaped(edit: Edit) -> str:
    """The new text as the YAML value holds it (quotes written doubled or escaped read as one)."""
    typed = edit.comment.mark.new_text.strip() if edit.comment.mark.new_text else ""
    if edit.comment.action == "insert":
        return edit.new.replace(edit.new.strip(), typed) if typed else edit.new
    return typed if edit.comment.action == "replace" else ""


def _spaced_out(text: str) -> str:
    """Text with any run of spaces and line ends as one space (a folded YAML value, a Markdown soft break)."""
    return " ".join(text.split())


def _key_path(key: str) -> KeyPath:
    """`articles[2].image.caption` -> ("articles", 2, "image", "caption")."""
    path: list[str | int] = []
    for part in key.replace("]", "").split("."):
        name, *indices = part.split("[")
        if name:
            path.append(name)
        path += [int(i) for i in indices]
    return tuple(path)


def _get(data, path: KeyPath):
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data if isinstance(data, str) else None


def _without(data, path: KeyPath):
    """`data` with the value at `path` taken out (a deep copy of the rest)."""
    if not path:
        return None
    if isinstance(data, dict):
        return {k: (_without(v, path[1:]) if k == path[0] else v) for k, v in data.items()}
    if isinstance(data, list):
        return [(_without(v, path[1:]) if i == path[0] else v) for i, v in enumerate(data)]
    return data


def _without_overlaps(edits: list[Edit]) -> list[Edit]:
    """The edits that touch no other: two corrections of the same words are left to the user."""
    kept = []
    for edit in edits:
        if any(other is not edit and _clash(edit, other) for other in edits):
            edit.comment.blocked = "another correction touches the same words"
        else:
            kept.append(edit)
    return kept


def _clash(a: Edit, b: Edit) -> bool:
    """Whether two edits change the same characters, or insert at the same point (touching spans do not clash)."""
    if a.start == a.end and b.start == b.end:
        return a.start == b.start
    if a.start == a.end:
        return b.start < a.start < b.end
    if b.start == b.end:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def _write(results: dict[Path, str], originals: dict[Path, str]) -> None:
    """Write the changed files all or nothing, as they were encoded (a byte-order mark, CRLF line ends); none
    when one was saved meanwhile."""
    encoded = {}
    for path, text in results.items():
        if read_utf8(path)[0] != originals[path]:
            raise OutputError(f"{display_path(path)} was saved while its comments were read; run comments again")
        if path.is_symlink():
            raise OutputError(f"{display_path(path)} is a symbolic link: make its corrections by hand")
        if not os.access(path, os.W_OK):
            raise OutputError(f"{display_path(path)} is read-only: no source was changed")
        raw = path.read_bytes()
        if b"\r\n" in raw:
            if raw.count(b"\n") != raw.count(b"\r\n"):
                raise OutputError(f"{display_path(path)} mixes line ends: no source was changed")
            text = text.replace("\n", "\r\n")
        encoded[path] = (b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b"") + text.encode("utf-8")

    def check(temp: Path, target: Path) -> None:
        temp.read_bytes().decode("utf-8-sig")
        os.chmod(temp, stat.S_IMODE(target.stat().st_mode))  # the source keeps its permissions

    try:
        replace_all(encoded, check)
    except OSError as exc:
        where = display_path(next(iter(encoded))) if encoded else "the sources"
        raise OutputError(f"cannot write {where}: {exc.strerror or exc}; no source was changed") from None
