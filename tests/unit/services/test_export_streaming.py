"""The streamed JSON export and import: same document, flat memory, same strictness.

The export is written one client per line (the streamed layout) and read back line by
line; any file the line-by-line reading has a doubt about is read whole, so every bad
file gets exactly the message reading it whole gives. Nothing here reads the wall clock
for a result: imports are checked as of ``DEMO_AS_OF``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from alliance_desktop.services import transfer
from alliance_desktop.services.demo import generate_demo
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.transfer import (
    export_document,
    export_json,
    import_contents,
    import_json,
    read_export,
)
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from tests.conftest import DEMO_AS_OF
from tests.keyed import open_database


@contextlib.contextmanager
def opened(path: Path) -> Iterator[Database]:
    db = open_database(path)
    try:
        yield db
    finally:
        db.close()


def without_stamp(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "exported_at"}


# ------------------------------------------------------------------ the document


def test_export_is_one_json_document_one_client_per_line(
    demo_db_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export.json"
    with opened(demo_db_path) as db:
        assert export_json(db, out) == 40
        expected = export_document(db)
    with out.open(encoding="utf-8") as handle:
        document = json.load(handle)
    assert without_stamp(document) == without_stamp(expected)
    assert list(document) == [
        "format",
        "format_version",
        "app_version",
        "schema_revision",
        "exported_at",
        "settings",
        "clients",
    ]
    assert document["format_version"] == transfer.EXPORT_FORMAT_VERSION == 2
    lines = out.read_text("utf-8").split("\n")
    assert lines[0].endswith('"clients":[') and lines[-2:] == ["]}", ""]
    clients = lines[1:-2]
    assert len(clients) == 40
    assert all(line.endswith(",") for line in clients[:-1])
    assert [json.loads(line.rstrip(",")) for line in clients] == expected["clients"]


def test_an_empty_database_exports_and_imports(new_db: Database, tmp_path: Path) -> None:
    out = tmp_path / "empty.json"
    assert export_json(new_db, out) == 0
    assert json.loads(out.read_text("utf-8"))["clients"] == []
    with opened(tmp_path / "copy.db") as copy:
        assert import_json(copy, out, today=DEMO_AS_OF) == 0


def test_demo_clients_round_trip_to_identical_records(demo_db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "export.json"
    with opened(demo_db_path) as source, opened(tmp_path / "copy.db") as target:
        export_json(source, out)
        contents = read_export(out, today=DEMO_AS_OF)
        assert not isinstance(contents.clients, list)  # streamed: no client kept
        assert len(contents.clients) == 40
        assert import_contents(target, contents) == 40
        assert repository.load_client_trees(target) == repository.load_client_trees(source)
        assert without_stamp(export_document(target)) == without_stamp(export_document(source))
        assert repository.list_client_rows(target) == repository.list_client_rows(source)


def test_an_old_indented_export_still_imports(demo_db_path: Path, tmp_path: Path) -> None:
    """Earlier versions wrote ``json.dump(document, indent=1)``: it is read whole."""
    old = tmp_path / "old.json"
    with opened(demo_db_path) as source:
        document = export_document(source)
        with old.open("w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, indent=1)
            handle.write("\n")
        contents = read_export(old, today=DEMO_AS_OF)
        assert isinstance(contents.clients, list)  # read whole
        with opened(tmp_path / "copy.db") as target:
            assert import_contents(target, contents) == 40
            assert repository.load_client_trees(target) == repository.load_client_trees(source)


def test_export_client_uses_the_streamed_layout(demo_db_path: Path, tmp_path: Path) -> None:
    with opened(demo_db_path) as db:
        code = repository.list_client_rows(db)[0].code
        names = transfer.export_client(db, code, tmp_path / "sar", lambda data: b"%PDF-")
        lines = (tmp_path / "sar" / names[0]).read_text("utf-8").split("\n")
        assert len(lines) == 4 and lines[2] == "]}"
        assert json.loads("\n".join(lines))["clients"][0]["code"] == code


def test_csv_export_streams_every_row(demo_db_path: Path, tmp_path: Path) -> None:
    with opened(demo_db_path) as db:
        assert transfer.export_csv(db, tmp_path / "tables") == 40
        clients = export_document(db)["clients"]
    sessions = (tmp_path / "tables" / "sessions.csv").read_text("utf-8-sig").splitlines()
    measurements = (tmp_path / "tables" / "measurements.csv").read_text("utf-8-sig")
    assert len(sessions) == 1 + sum(len(c["sessions"]) for c in clients)
    assert len(measurements.splitlines()) == 1 + sum(
        len(s["measurements"]) for c in clients for s in c["sessions"]
    )


# ------------------------------------------------------------------ an interrupted export


def _failing_after(count: int) -> Callable[..., Any]:
    original = transfer.client_to_json
    calls = {"n": 0}

    def fail(client: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > count:
            raise RuntimeError("interrupted")
        return original(client)

    return fail


def test_an_interrupted_export_leaves_the_old_file_untouched(
    demo_db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "export.json"
    out.write_text("the previous export\n", encoding="utf-8")
    monkeypatch.setattr(transfer, "client_to_json", _failing_after(25))
    with opened(demo_db_path) as db, pytest.raises(RuntimeError, match="interrupted"):
        export_json(db, out, overwrite=True)
    assert out.read_text("utf-8") == "the previous export\n"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_an_interrupted_export_leaves_no_file(
    demo_db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.setattr(transfer, "client_to_json", _failing_after(3))
    with opened(demo_db_path) as db, pytest.raises(RuntimeError, match="interrupted"):
        export_json(db, folder / "export.json")
    assert list(folder.iterdir()) == []  # neither the file nor its temporary
    monkeypatch.undo()
    with opened(demo_db_path) as db:  # the read transaction was ended: the database works
        assert export_json(db, folder / "export.json") == 40


# ------------------------------------------------------------------ memory


def _traced_peak(action: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        action()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def caseloads(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Demo databases of 50 and 400 clients (made once for this module)."""
    made = {}
    for count in (50, 400):
        path = tmp_path_factory.mktemp(f"caseload{count}") / "practice.db"
        with opened(path) as db:
            generate_demo(db, count, seed=3, as_of=DEMO_AS_OF)
            db.checkpoint()
        made[count] = path
    return made


def test_export_and_import_memory_does_not_grow_with_the_caseload(
    caseloads: dict[int, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Peak Python memory (tracemalloc) for 400 clients is about that for 50: both hold one
    batch at a time (20 clients here, so that both caseloads fill several batches), where
    reading everything at once grew with the number of clients."""
    monkeypatch.setattr(
        repository,
        "iter_client_trees",
        functools.partial(repository.iter_client_trees, batch=20),
    )
    monkeypatch.setattr(transfer, "_IMPORT_BATCH", 20)
    with opened(caseloads[50]) as db:  # once first: caches filled on first use are not counted
        export_json(db, tmp_path / "warm.json")
    with opened(tmp_path / "warm.db") as copy:
        import_json(copy, tmp_path / "warm.json", today=DEMO_AS_OF)
    export_peaks, import_peaks, sizes = {}, {}, {}
    for count, path in caseloads.items():
        out = tmp_path / f"export{count}.json"
        with opened(path) as db:
            export_peaks[count] = _traced_peak(lambda db=db, out=out: export_json(db, out))
        sizes[count] = out.stat().st_size
        with opened(tmp_path / f"copy{count}.db") as copy:
            import_peaks[count] = _traced_peak(
                lambda copy=copy, out=out: import_json(copy, out, today=DEMO_AS_OF)
            )
            assert repository.count_clients(copy) == count
    assert sizes[400] > 6 * sizes[50]  # the larger caseload is really larger
    assert export_peaks[400] < 1.5 * export_peaks[50], export_peaks
    assert import_peaks[400] < 1.5 * import_peaks[50], import_peaks


# ------------------------------------------------------------------ reading: same answers


def _streamed_lines(demo_db_path: Path, tmp_path: Path, clients: int = 3) -> list[str]:
    """The lines of a real streamed export of the first ``clients`` demo clients."""
    out = tmp_path / "source.json"
    with opened(demo_db_path) as db:
        export_json(db, out)
    lines = out.read_text("utf-8").split("\n")
    body = [line.rstrip(",") for line in lines[1 : 1 + clients]]
    return [lines[0], *[f"{line}," for line in body[:-1]], body[-1], "]}", ""]


def _answer(read: Callable[[], transfer.ExportContents]) -> tuple[str, Any]:
    try:
        contents = read()
    except InvalidInput as exc:
        return "refused", str(exc)
    return "read", (list(contents.clients), contents.settings)


def _head(first_line: str, **changes: Any) -> str:
    """The first line of the streamed layout, with top-level fields changed."""
    envelope = json.loads(first_line + "]}")
    del envelope["clients"]
    text = json.dumps({**envelope, **changes}, ensure_ascii=False, separators=(",", ":"))
    return text[:-1] + ',"clients":['


def _mutations(lines: list[str]) -> dict[str, str]:
    head, first, second, third = lines[0], lines[1], lines[2], lines[3]
    client = json.loads(first.rstrip(","))
    bad_date = json.dumps({**client, "intake_date": "2026-02-30"}, ensure_ascii=False)
    twin = json.dumps(json.loads(second.rstrip(",")) | {"code": client["code"]})

    def document(*clients: str, start: str = head, end: str = "]}") -> str:
        return "\n".join([start, *clients, end, ""])

    return {
        "as written": "\n".join(lines),
        "byte-order mark": "\ufeff" + "\n".join(lines),
        "windows line ends": "\r\n".join(lines),
        "blank lines after": "\n".join(lines) + "\n\n  \n",
        "spaces around": document(" " + first + " ", second, "\t" + third, start=head + "  ") + " ",
        "no clients": document(),
        "clients twice": document(
            first,
            second,
            third,
            start=head.replace('"clients":[', '"clients":[],"n":1,"clients":['),
        ),
        "two clients on a line": document(first + second, third),
        "a line cut short": document(first[:-40], second, third),
        "comma before the end": document(first, second, third + ","),
        "no comma between": document(first, second.rstrip(","), third),
        "no end": "\n".join([head, first, second]),
        "text after the end": "\n".join(lines) + "trailing",
        "NaN": document(first.replace('{"code":', '{"nan":NaN,"code":', 1), second, third),
        "not UTF-8": document(first, second.replace("a", "\udcff", 1), third),
        "a lone surrogate": document(
            first.replace('"given_name":"', '"given_name":"\\ud800', 1), second, third
        ),
        "a bad date": document(bad_date + ",", second, third),
        "a bad date, then bad JSON": document(bad_date + ",", second[:-30], third),
        "a code twice": document(first, twin + ",", third),
        "a code twice, then a bad date": document(first, twin + ",", bad_date),
        "bad settings": document(
            first, second, third, start=_head(head, settings={"alert_settings": 7})
        ),
        "settings not an object": document(first, second, third, start=_head(head, settings=[1])),
        "format version 3": document(first, second, third, start=_head(head, format_version=3)),
        "another format": document(first, second, third, start=_head(head, format="other")),
        "clients inside settings": document(
            start=head.replace('"clients":[', '"x":{"clients":['), end="]}}"
        ),
        "an escaped quote before the key": document(
            first, second, third, start=head.replace('"clients":[', '"x\\"clients":[')
        ),
    }


def test_every_layout_and_mistake_gets_the_answer_reading_whole_gives(
    demo_db_path: Path, tmp_path: Path
) -> None:
    lines = _streamed_lines(demo_db_path, tmp_path)
    streamed = 0
    for name, text in _mutations(lines).items():
        path = tmp_path / "case.json"
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        whole = _answer(lambda path=path: transfer._read_whole(path, DEMO_AS_OF))
        answer = _answer(lambda path=path: read_export(path, today=DEMO_AS_OF))
        assert answer == whole, name
        if answer[0] == "refused":
            assert "\n" not in answer[1], name
        else:
            streamed += not isinstance(read_export(path, today=DEMO_AS_OF).clients, list)
    assert streamed >= 6  # the well-formed variants were read line by line


def test_a_large_number_or_deep_nesting_on_a_line_is_refused_as_when_read_whole(
    demo_db_path: Path, tmp_path: Path
) -> None:
    lines = _streamed_lines(demo_db_path, tmp_path)
    for bad in ["7" * 5000, "[" * 60_000 + "]" * 60_000, "1e999"]:
        path = tmp_path / "case.json"
        path.write_text("\n".join([lines[0], lines[1], bad, "]}", ""]), encoding="utf-8")
        with pytest.raises(InvalidInput) as streamed:
            read_export(path, today=DEMO_AS_OF)
        with pytest.raises(InvalidInput) as whole:
            transfer._read_whole(path, DEMO_AS_OF)
        assert str(streamed.value) == str(whole.value)


# ------------------------------------------------------------------ all or nothing


def test_a_file_changed_after_its_check_imports_nothing(
    demo_db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check and the import read the file twice; a change in between (here in the last
    client, after several batches were written) rolls back the whole import."""
    monkeypatch.setattr(transfer, "_IMPORT_BATCH", 5)
    out = tmp_path / "export.json"
    with opened(demo_db_path) as db:
        export_json(db, out)
    contents = read_export(out, today=DEMO_AS_OF)
    text = out.read_text("utf-8")
    last = text.rindex('"given_name":"')
    out.write_text(text[:last] + '"given_name":"X' + text[last + 14 :], encoding="utf-8")
    with opened(tmp_path / "copy.db") as copy:
        with pytest.raises(InvalidInput, match="changed while it was being imported"):
            import_contents(copy, contents)
        assert repository.count_clients(copy) == 0
        assert repository.all_settings(copy) == {}


def test_a_file_made_invalid_after_its_check_imports_nothing(
    demo_db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer, "_IMPORT_BATCH", 5)
    out = tmp_path / "export.json"
    with opened(demo_db_path) as db:
        export_json(db, out)
    contents = read_export(out, today=DEMO_AS_OF)
    lines = out.read_text("utf-8").split("\n")
    out.write_text("\n".join([*lines[:30], "garbage", *lines[30:]]), encoding="utf-8")
    with opened(tmp_path / "copy.db") as copy:
        with pytest.raises(InvalidInput, match="changed while it was being imported"):
            import_contents(copy, contents)
        assert repository.count_clients(copy) == 0
    out.unlink()
    with opened(tmp_path / "again.db") as copy:
        with pytest.raises(InvalidInput, match="changed while it was being imported"):
            import_contents(copy, contents)
        assert repository.count_clients(copy) == 0
