"""Read the core model of OWASP SAMM (the ``model`` folder of ``owaspsamm/core``) as a catalog.

The model is a folder of YAML files, one per element, linked by ids: a security practice
names its business function, a stream its practice, a practice level its practice and
maturity level, an activity its stream and practice level, a question its activity and
answer set. Business functions and practices become nested groups, streams dimensions,
activities measures on the number of their maturity level, and the answer set of an
activity's question its answer scale (credit = the answer's value). With ``rule: additive``
a stream's score is then the sum of its activities' answer values (SAMM's stream score,
0–3) and a practice's score the mean of its streams. What the catalog has no place for is
counted in :attr:`ImportedCatalog.not_taken`. The module reads no database and writes no
file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spatz.catalog import Catalog, parse_catalog
from spatz.errors import CatalogError
from spatz.interop.common import (
    ImportedCatalog,
    comment,
    counted,
    fit,
    fit_id,
    load_yaml,
    read_text,
)
from spatz.io.limits import FileLimits, number

FOLDERS = (
    "business_functions",
    "security_practices",
    "streams",
    "practice_levels",
    "maturity_levels",
    "activities",
    "questions",
    "answer_sets",
)
"""The subfolders of the model folder, each with one YAML file per element."""

KNOWN_MODELS = ("SAMM20",)
"""The model versions (``model:`` of a business function) this importer knows."""

MAX_FILES = 10_000
"""The most YAML files a model folder may hold (the published model has about 300)."""

LICENCE_FILES = ("license.txt", "LICENSE", "LICENSE.txt", "LICENSE.md")
"""Where the repository beside the model folder states its licence."""

CATALOG_ID = "owasp-samm"


class _Refusal(CatalogError):
    """A problem at a key path of one file of the model (``streams/D-SA-A.yml``)."""

    def __init__(self, file: str, path: str, message: str) -> None:
        self.file = file
        self.detail = f"{path}: {message}" if path else message
        super().__init__(f"{file}: {self.detail}")


@dataclass
class _Element:
    """One YAML file of the model: its place, id, order and data."""

    file: str
    id: str
    order: int | None
    data: dict[str, Any]

    def text(self, key: str, *, required: bool = False) -> str:
        """A text entry (numbers, as YAML reads them, as their text); ``""`` if absent."""
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise _Refusal(self.file, key, "Angabe fehlt")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _Refusal(self.file, key, "Text erwartet")
        return str(value).strip()

    def filled(self, key: str) -> bool:
        """Whether the entry holds something (not absent, empty or an empty list)."""
        return self.data.get(key) not in (None, "", [], {})


def read(path: str | Path, limits: FileLimits | None = None) -> ImportedCatalog:
    """Read the SAMM model folder (``model`` or the folder that holds it); raise
    :class:`CatalogError` (or :class:`~spatz.errors.DataImportError` for a file above the size
    limit) naming the file and the key path of the first problem. Each file is within the
    size limit, all together too, and there are at most :data:`MAX_FILES` of them."""
    limits = limits or FileLimits.from_environment()
    folder = _model_folder(Path(path))
    names: dict[str, list[str]] = {}
    count = 0
    for sub in FOLDERS:
        directory = folder / sub
        if not directory.is_dir():
            raise CatalogError(
                f"{directory}: Ordner fehlt; --from samm liest den Ordner model des "
                f"SAMM-Kernmodells mit den Unterordnern {', '.join(FOLDERS)}"
            )
        found: list[str] = []
        with os.scandir(directory) as entries:
            for entry in entries:
                hidden = entry.name.startswith(".")  # e.g. ._Design.yml of a Mac archive
                if hidden or not entry.name.endswith((".yml", ".yaml")) or not entry.is_file():
                    continue
                count += 1
                if count > MAX_FILES:
                    raise CatalogError(
                        f"{folder}: mehr als {number(MAX_FILES)} YAML-Dateien; das ist kein "
                        "SAMM-Kernmodell"
                    )
                found.append(entry.name)
        names[sub] = sorted(found)
    files: dict[str, str] = {}
    total = 0
    for sub, file_names in names.items():
        for name in file_names:
            text = read_text(folder / sub / name, limits, "die Datei")
            total += len(text.encode("utf-8"))
            if total > limits.max_file_bytes:
                raise CatalogError(
                    f"{folder}: die Dateien des Modells sind zusammen größer als "
                    f"{limits.max_file_mb} MB (Grenze: SPATZ_MAX_FILE_MB)"
                )
            files[f"{sub}/{name}"] = text
    return parse(files, str(folder), _licence(folder.parent, limits))


def _model_folder(path: Path) -> Path:
    """The model folder: ``path`` itself or its subfolder ``model``."""
    if not path.is_dir():
        raise CatalogError(
            f"{path}: kein Ordner; --from samm liest den Ordner model des SAMM-Kernmodells "
            "(oder den Ordner, der ihn enthält)"
        )
    inner = path / "model"
    if not (path / FOLDERS[0]).is_dir() and inner.is_dir():
        return inner
    return path


def _licence(root: Path, limits: FileLimits) -> tuple[str, str] | None:
    """The licence file beside the model folder and its first line, if there is one."""
    for name in LICENCE_FILES:
        candidate = root / name
        if candidate.is_file():
            text = read_text(candidate, limits, "die Lizenzdatei")
            first = next((line.strip() for line in text.splitlines() if line.strip()), "")
            if first:
                return name, first
    return None


def parse(
    files: Mapping[str, str],
    source: str = "model",
    licence: tuple[str, str] | None = None,
) -> ImportedCatalog:
    """Turn the files of a SAMM model folder (text by path inside it, e.g.
    ``streams/D-SA-A.yml``) into a catalog; ``licence`` is the licence file's name and first
    line. A refusal names ``source``/path, the key path and the problem."""
    try:
        return _Model(files, licence).convert()
    except _Refusal as exc:
        raise CatalogError(f"{source}/{exc.file}: {exc.detail}") from None
    except CatalogError as exc:  # unreadable YAML: the message names the file already
        raise CatalogError(f"{source}/{exc}") from None


class _Model:
    """The elements of the model by kind and id, read and checked file by file."""

    def __init__(self, files: Mapping[str, str], licence: tuple[str, str] | None) -> None:
        self.licence = licence
        self.kinds: dict[str, dict[str, _Element]] = {}
        for sub in FOLDERS:
            elements: dict[str, _Element] = {}
            for file in sorted(f for f in files if f.startswith(f"{sub}/")):
                element = _element(file, files[file])
                if element.id in elements:
                    raise _Refusal(
                        file,
                        "id",
                        f"{element.id!r} kommt doppelt vor (auch in {elements[element.id].file})",
                    )
                elements[element.id] = element
            self.kinds[sub] = dict(sorted(elements.items(), key=lambda item: _rank(item[1])))

    def link(self, element: _Element, key: str, kind: str, what: str) -> _Element:
        """The element of ``kind`` that ``element`` names under ``key``."""
        target = element.text(key, required=True)
        if target not in self.kinds[kind]:
            raise _Refusal(element.file, key, f"{what} {target!r} gibt es in {kind} nicht")
        return self.kinds[kind][target]

    def convert(self) -> ImportedCatalog:
        functions = self.kinds["business_functions"]
        versions = self._versions()
        levels = self._levels()
        practice_of = {
            p.id: self.link(p, "function", "business_functions", "Geschäftsfunktion")
            for p in self.kinds["security_practices"].values()
        }
        stream_practice = {
            s.id: self.link(s, "practice", "security_practices", "Praxis")
            for s in self.kinds["streams"].values()
        }
        level_of: dict[str, tuple[_Element, int]] = {}
        for practice_level in self.kinds["practice_levels"].values():
            practice = self.link(practice_level, "practice", "security_practices", "Praxis")
            maturity = self.link(practice_level, "maturityLevel", "maturity_levels", "Reifegrad")
            level_of[practice_level.id] = (practice, levels[maturity.id])
        activities = list(self.kinds["activities"].values())
        if not activities:
            raise _Refusal("activities", "", "keine Tätigkeit; ein Katalog braucht Maßnahmen")
        placed: dict[str, tuple[_Element, int]] = {}
        for activity in activities:
            stream = self.link(activity, "stream", "streams", "Strom")
            practice_level = self.link(activity, "level", "practice_levels", "Praxisstufe")
            practice, level = level_of[practice_level.id]
            if practice.id != stream_practice[stream.id].id:
                raise _Refusal(
                    activity.file,
                    "level",
                    f"die Praxisstufe {practice_level.id!r} gehört zur Praxis {practice.id!r}, "
                    f"der Strom {stream.id!r} zur Praxis {stream_practice[stream.id].id!r}",
                )
            placed[activity.id] = (stream, level)
        activities.sort(key=lambda a: (placed[a.id][1], _rank(a)))  # a stream's by level
        questions = self._questions()
        scales, scale_ids = self._scales(questions)
        codes = _unique_ids(
            {
                **{("f", f.id): _slug(f.text("name")) for f in functions.values()},
                **{
                    ("p", p.id): self._practice_code(p, practice_of)
                    for p in self.kinds["security_practices"].values()
                },
                **{
                    ("s", s.id): self._stream_code(s, stream_practice, practice_of)
                    for s in self.kinds["streams"].values()
                },
                **{
                    ("a", a.id): self._activity_code(a, placed, stream_practice, practice_of)
                    for a in activities
                },
            }
        )
        prerequisites = {a.id: self._prerequisites(a) for a in activities}
        measures_of: dict[str, list[dict[str, Any]]] = {}
        for activity in activities:
            stream, level = placed[activity.id]
            question = questions.get(activity.id)
            measure: dict[str, Any] = {
                "id": codes["a", activity.id],
                "level": level,
                "title": fit(activity.text("title", required=True), 300),
                "description": _join(
                    activity.text("shortDescription"),
                    activity.text("longDescription"),
                    f"Nutzen: {activity.text('benefit')}" if activity.text("benefit") else "",
                ),
                "source": f"OWASP SAMM, Tätigkeit {activity.id}",
            }
            if question is not None:
                measure["answers"] = scale_ids[question.text("answerSet")]
            if prerequisites[activity.id]:
                measure["depends_on"] = [codes["a", i] for i in prerequisites[activity.id]]
            measures_of.setdefault(stream.id, []).append(measure)
        streams = [s for s in self.kinds["streams"].values() if s.id in measures_of]
        practices = [
            p
            for p in self.kinds["security_practices"].values()
            if any(stream_practice[s.id].id == p.id for s in streams)
        ]
        used_functions = [
            f for f in functions.values() if any(practice_of[p.id].id == f.id for p in practices)
        ]
        # Streams in the order of their practices (by function), then their own order.
        position = {p.id: i for i, p in enumerate(_by_function(practices, used_functions))}
        streams.sort(key=lambda s: (position[stream_practice[s.id].id], _rank(s)))
        document: dict[str, Any] = {
            "id": CATALOG_ID,
            "version": "",
            "name": "OWASP SAMM",
            "description": "Software Assurance Maturity Model (OWASP SAMM), Kernmodell",
            "rule": "additive",
            "levels": [
                {
                    "level": 0,
                    "name": "Ausgangslage",
                    "description": "noch keine Tätigkeit des Stroms umgesetzt",
                },
                *(
                    {
                        "level": levels[m.id],
                        "name": f"Reifegrad {levels[m.id]}",
                        "description": m.text("description"),
                    }
                    for m in self.kinds["maturity_levels"].values()
                ),
            ],
            "groups": [
                *(
                    {
                        "id": codes["f", f.id],
                        "name": fit(f.text("name", required=True), 200),
                        "description": f.text("description"),
                    }
                    for f in used_functions
                ),
                *(
                    {
                        "id": codes["p", p.id],
                        "name": fit(p.text("name", required=True), 200),
                        "description": _join(p.text("shortDescription"), p.text("longDescription")),
                        "parent": codes["f", practice_of[p.id].id],
                    }
                    for p in _by_function(practices, used_functions)
                ),
            ],
            "answer_scales": scales,
            "dimensions": [
                {
                    "id": codes["s", s.id],
                    "name": fit(s.text("name", required=True), 200),
                    "description": s.text("description"),
                    "group": codes["p", stream_practice[s.id].id],
                    "measures": measures_of[s.id],
                }
                for s in streams
            ],
        }
        document["version"] = _version(versions, document)
        # The catalog's own checks, with their German messages (e.g. prerequisites in a circle).
        try:
            catalog = parse_catalog(json.dumps(document))
        except CatalogError as exc:
            detail = str(exc).split(": ungültiger Katalog: ", 1)[-1]
            raise _Refusal("activities", "", f"ergibt keinen gültigen Katalog ({detail})") from None
        return ImportedCatalog(
            catalog=catalog,
            header=self._header(versions),
            taken=_taken(catalog, len(used_functions), len(practices)),
            not_taken=self._not_taken(
                questions, set(scale_ids), streams, practices, used_functions
            ),
            notes=_notes(len(activities) - len(questions), _irregular(catalog)),
        )

    def _versions(self) -> list[str]:
        """The model versions the business functions name; an unknown one is refused."""
        versions: list[str] = []
        for function in self.kinds["business_functions"].values():
            model = function.text("model")
            if model and model not in KNOWN_MODELS:
                raise _Refusal(
                    function.file,
                    "model",
                    f"unbekannte Modellversion {model!r}; bekannt: {', '.join(KNOWN_MODELS)}",
                )
            if model and model not in versions:
                versions.append(model)
        return versions

    def _levels(self) -> dict[str, int]:
        """Each maturity level's number, checked to run 1..N."""
        numbers: dict[str, int] = {}
        seen: dict[int, str] = {}
        for level in self.kinds["maturity_levels"].values():
            value = level.data.get("number")
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise _Refusal(level.file, "number", "ganze Zahl ab 1 erwartet")
            if value in seen:
                raise _Refusal(
                    level.file,
                    "number",
                    f"Reifegrad {value} kommt doppelt vor (auch in {seen[value]})",
                )
            seen[value] = level.file
            numbers[level.id] = value
        found = sorted(seen)
        if found != list(range(1, len(found) + 1)):
            raise _Refusal(
                "maturity_levels",
                "",
                "die Reifegrade müssen lückenlos 1..N nummeriert sein, nicht "
                + (", ".join(map(str, found)) or "keiner"),
            )
        # The maturity levels in the order of their numbers: the catalog's levels.
        order = sorted(self.kinds["maturity_levels"], key=lambda i: numbers[i])
        self.kinds["maturity_levels"] = {i: self.kinds["maturity_levels"][i] for i in order}
        return numbers

    def _questions(self) -> dict[str, _Element]:
        """Each activity's first question (by ``order``), its answer set checked."""
        first: dict[str, _Element] = {}
        for question in self.kinds["questions"].values():
            activity = self.link(question, "activity", "activities", "Tätigkeit")
            self.link(question, "answerSet", "answer_sets", "Antwortsatz")
            first.setdefault(activity.id, question)
        return first

    def _scales(
        self, questions: dict[str, _Element]
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
        """The answer scales of the answer sets questions use, and each set's scale id (its
        file name without ``.yml``)."""
        used = {q.text("answerSet") for q in questions.values()}
        scales: dict[str, list[dict[str, Any]]] = {}
        scale_ids: dict[str, str] = {}
        for answer_set in self.kinds["answer_sets"].values():
            if answer_set.id not in used:
                continue
            scale_id = fit_id(Path(answer_set.file).stem)
            scale_ids[answer_set.id] = scale_id
            scales[scale_id] = _answers(answer_set)
        return scales, scale_ids

    def _prerequisites(self, activity: _Element) -> list[str]:
        """The activities ``relatedActivities`` names (prerequisites, by id)."""
        related = activity.data.get("relatedActivities")
        if related is None:
            return []
        if not isinstance(related, list):
            raise _Refusal(activity.file, "relatedActivities", "Liste von IDs erwartet")
        found: list[str] = []
        for i, item in enumerate(related):
            target = "" if isinstance(item, bool) else str(item).strip()
            if isinstance(item, dict | list) or target not in self.kinds["activities"]:
                raise _Refusal(
                    activity.file,
                    f"relatedActivities[{i}]",
                    f"Tätigkeit {target or item!r} gibt es in activities nicht",
                )
            if target not in found:
                found.append(target)
        return found

    def _practice_code(self, practice: _Element, practice_of: dict[str, _Element]) -> str:
        """``D-SA``: the function's initial and the practice's short name; else its id."""
        initial = practice_of[practice.id].text("name")[:1].upper()
        short = practice.text("shortName")
        return f"{initial}-{short}" if initial and short else practice.id

    def _stream_code(
        self,
        stream: _Element,
        stream_practice: dict[str, _Element],
        practice_of: dict[str, _Element],
    ) -> str:
        """``D-SA-A``: the practice's code and the stream's letter; else its id."""
        practice = stream_practice[stream.id]
        code = self._practice_code(practice, practice_of)
        letter = stream.text("letter")
        return f"{code}-{letter}" if code != practice.id and letter else stream.id

    def _activity_code(
        self,
        activity: _Element,
        placed: dict[str, tuple[_Element, int]],
        stream_practice: dict[str, _Element],
        practice_of: dict[str, _Element],
    ) -> str:
        """``D-SA-1-A``, SAMM's short name of an activity; else its id."""
        stream, level = placed[activity.id]
        practice = stream_practice[stream.id]
        code = self._practice_code(practice, practice_of)
        letter = stream.text("letter")
        return f"{code}-{level}-{letter}" if code != practice.id and letter else activity.id

    def _header(self, versions: list[str]) -> str:
        lines = [
            "# Importiert aus dem Kernmodell von OWASP SAMM (--from samm)",
            "# Quelle: OWASP SAMM, Software Assurance Maturity Model (owaspsamm.org), "
            "Kernmodell (github.com/owaspsamm/core), Ordner model",
        ]
        if versions:
            lines.extend(comment(f"Modellversion: {', '.join(versions)}"))
        if self.licence is not None:
            name, first = self.licence
            lines.extend(comment(f"Lizenz ({name}): {first}"))
        else:
            lines.append(
                "# Lizenz: in den Dateien nicht angegeben; es gilt die Lizenz des Projekts "
                "OWASP SAMM"
            )
        return "\n".join(lines) + "\n"

    def _not_taken(
        self,
        questions: dict[str, _Element],
        used_sets: set[str],
        streams: list[_Element],
        practices: list[_Element],
        functions: list[_Element],
    ) -> tuple[str, ...]:
        lines: list[str] = []
        all_questions = list(self.kinds["questions"].values())
        if all_questions:
            lines.append(
                f"{counted(len(all_questions), 'Frage', 'Fragen')}: Fragetext (text) und "
                "Qualitätskriterien (quality), weil der Katalog Maßnahmen mit Antworten statt "
                "Fragen kennt; die Antwortsätze der Fragen sind als Antwortskalen übernommen"
            )
        extra = len(all_questions) - len(questions)
        if extra:
            lines.append(
                f"{counted(extra, 'weitere Frage', 'weitere Fragen')} zu Tätigkeiten mit einer "
                "Frage, weil eine Maßnahme eine Antwortskala hat (übernommen: die erste nach order)"
            )
        unused = [s for s in self.kinds["answer_sets"].values() if s.id not in used_sets]
        if unused:
            lines.append(
                f"{counted(len(unused), 'Antwortsatz', 'Antwortsätze')} ohne Frage "
                f"({', '.join(Path(s.file).stem for s in unused[:5])}"
                f"{', …' if len(unused) > 5 else ''}), weil eine Antwortskala nur für "
                "die Frage einer Tätigkeit entsteht"
            )
        if any(
            isinstance(v, dict) and "weight" in v
            for s in self.kinds["answer_sets"].values()
            if s.id in used_sets
            for v in s.data.get("values") or []
        ):
            lines.append(
                "Gewichte der Antworten (weight), weil die Anrechnung einer Antwort ihr Wert "
                "(value) ist"
            )
        objectives = sum(1 for p in self.kinds["practice_levels"].values() if p.filled("objective"))
        if objectives:
            lines.append(
                f"{counted(objectives, 'Ziel', 'Ziele')} der Praxisstufen (practice_levels: "
                "objective), weil ein Katalog seine Stufen für alle Dimensionen gleich beschreibt"
            )
        details = sum(
            1
            for a in self.kinds["activities"].values()
            if any(a.filled(k) for k in ("results", "metrics", "costs", "personnel", "notes"))
        )
        if details:
            lines.append(
                "Ergebnisse, Kennzahlen, Kosten, Rollen und Notizen (results, metrics, costs, "
                f"personnel, notes) bei {counted(details, 'Tätigkeit', 'Tätigkeiten')}, weil der "
                "Katalog dafür kein Feld hat"
            )
        for kind, keys, label, why in (
            (
                "business_functions",
                ("color", "logo"),
                "Farbe und Logo der Geschäftsfunktionen (color, logo)",
                "weil SPATZ eigene Farben zeigt",
            ),
            (
                "security_practices",
                ("assignee", "progress"),
                "Bearbeiter und Fortschritt der Praktiken (assignee, progress)",
                "weil sie die Pflege des Modells betreffen",
            ),
        ):
            if any(e.filled(k) for e in self.kinds[kind].values() for k in keys):
                lines.append(f"{label}, {why}")
        kept = {e.id for e in (*streams, *practices, *functions)}
        for kind, one, many in (
            ("streams", "Strom", "Ströme"),
            ("security_practices", "Praxis", "Praktiken"),
            ("business_functions", "Geschäftsfunktion", "Geschäftsfunktionen"),
        ):
            empty = [e for e in self.kinds[kind].values() if e.id not in kept]
            if empty:
                names = ", ".join(e.text("name") or e.id for e in empty[:5])
                lines.append(
                    f"{counted(len(empty), one, many)} ohne Tätigkeit ({names}"
                    f"{', …' if len(empty) > 5 else ''}), weil eine Dimension mindestens eine "
                    "Maßnahme braucht"
                )
        return tuple(f"nicht übernommen: {line}" for line in lines)


def _element(file: str, text: str) -> _Element:
    data = load_yaml(text, file)
    if not isinstance(data, dict):
        raise _Refusal(file, "", "Abschnitt mit Schlüsseln (id, …) erwartet")
    element = _Element(file=file, id="", order=None, data=data)
    element.id = element.text("id", required=True)
    order = data.get("order")
    if order is not None and (isinstance(order, bool) or not isinstance(order, int)):
        raise _Refusal(file, "order", "ganze Zahl erwartet")
    element.order = order
    return element


def _rank(element: _Element) -> tuple[int, int, str]:
    """Elements with an ``order`` by it, then the others, each by file name."""
    if element.order is None:
        return (1, 0, element.file)
    return (0, element.order, element.file)


def _by_function(practices: list[_Element], functions: list[_Element]) -> list[_Element]:
    """The practices grouped by their function in the functions' order."""
    position = {f.id: i for i, f in enumerate(functions)}
    return sorted(
        practices, key=lambda p: (position[str(p.data.get("function")).strip()], _rank(p))
    )


def _answers(answer_set: _Element) -> list[dict[str, Any]]:
    """The answers of an answer set in their order: key from the value (``samm-25`` for
    0.25), label the text, credit the value."""
    values = answer_set.data.get("values")
    if not isinstance(values, list) or not values:
        raise _Refusal(answer_set.file, "values", "Liste der Antworten erwartet")
    items: list[tuple[int, int, str, float]] = []
    for i, item in enumerate(values):
        where = f"values[{i}]"
        if not isinstance(item, dict):
            raise _Refusal(answer_set.file, where, "Abschnitt mit text und value erwartet")
        value = item.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise _Refusal(answer_set.file, f"{where}.value", "Zahl von 0 bis 1 erwartet")
        text = item.get("text")
        if isinstance(text, bool):  # YAML reads an unquoted No as false
            text = "Yes" if text else "No"
        if text is None or isinstance(text, dict | list) or not str(text).strip():
            raise _Refusal(answer_set.file, f"{where}.text", "Text erwartet")
        order = item.get("order")
        rank = order if isinstance(order, int) and not isinstance(order, bool) else i
        items.append((rank, i, str(text).strip(), float(value)))
    answers: list[dict[str, Any]] = []
    keys: Counter[str] = Counter()
    for _, _, text, value in sorted(items):
        key = f"samm-{round(value * 100, 6):g}"
        keys[key] += 1
        answers.append(
            {
                "key": key if keys[key] == 1 else f"{key}-{keys[key]}",
                "label": fit(text, 100),
                "credit": value,
            }
        )
    return answers


def _unique_ids(codes: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """Each element's code (by kind and id) where no other element has it, else its own id
    (the uuid)."""
    counts = Counter(codes.values())
    return {
        (kind, element): fit_id(code if code and counts[code] == 1 else element)
        for (kind, element), code in codes.items()
    }


def _slug(name: str) -> str:
    """``Design`` → ``design``: the id of a business function."""
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def _join(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)


def _version(versions: list[str], document: dict[str, Any]) -> str:
    """The model version and a digest of the content (``SAMM20-1a2b3c4d``): a release with
    changed texts becomes a new catalog version."""
    payload = json.dumps({**document, "version": ""}, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:8]
    return fit(f"{'+'.join(versions) or 'SAMM'}-{digest}", 50)


def _taken(catalog: Catalog, functions: int, practices: int) -> str:
    levels = [lv for lv in catalog.levels if lv.level >= 1]
    prerequisites = sum(len(m.depends_on) for _, m in catalog.measures())
    return "übernommen: " + ", ".join(
        [
            counted(len(levels), "Stufe", "Stufen") + " (Reifegrade) und Stufe 0",
            counted(functions, "Gruppe", "Gruppen") + " (Geschäftsfunktionen)",
            counted(practices, "Gruppe", "Gruppen") + " (Praktiken)",
            counted(len(catalog.dimensions), "Dimension", "Dimensionen") + " (Ströme)",
            counted(sum(1 for _ in catalog.measures()), "Maßnahme", "Maßnahmen") + " (Tätigkeiten)",
            counted(len(catalog.answer_scales), "Antwortskala", "Antwortskalen")
            + " (Antwortsätze)",
            counted(prerequisites, "Voraussetzung", "Voraussetzungen") + " (relatedActivities)",
        ]
    )


def _irregular(catalog: Catalog) -> list[str]:
    """The streams without exactly one activity on each maturity level: for them the
    additive score is not SAMM's stream score (the sum of the answers)."""
    levels = [lv.level for lv in catalog.levels if lv.level >= 1]
    return [d.id for d in catalog.dimensions if sorted(m.level for m in d.measures) != levels]


def _notes(without_question: int, irregular: list[str]) -> tuple[str, ...]:
    notes: list[str] = []
    if without_question:
        notes.append(
            f"Hinweis: {counted(without_question, 'Tätigkeit', 'Tätigkeiten')} ohne Frage: "
            "nur die festen Status (geplant, in Arbeit, umgesetzt, nicht anwendbar)"
        )
    if irregular:
        notes.append(
            f"Hinweis: {counted(len(irregular), 'Strom', 'Ströme')} ohne je eine Tätigkeit "
            f"auf jedem Reifegrad ({', '.join(irregular[:5])}{', …' if len(irregular) > 5 else ''}"
            "): ihr Punktwert ist nicht die Summe der Antworten wie in SAMM"
        )
    return tuple(notes)
