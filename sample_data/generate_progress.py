"""Write ``sample_data/progress.csv`` (``--summary``: and show the levels reached).

From the default catalog and the files beside this script (``profiles.csv``,
``pinned_events.csv``, ``generator.yaml``, the Meilensteine and the Projektliste; see
README.md), with a fixed seed; written only when :func:`spatz.score` finds the profiles.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import itertools
import random
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

import spatz
from spatz.catalog import OVERALL, Catalog, Dimension, Measure, default_catalog
from spatz.io.values import parse_date, parse_date_or_quarter, parse_id_list, quarter_end
from spatz.services.demo import GESUNDHEITSAMT, HALLE

HERE = Path(__file__).resolve().parent
COLUMNS = ("org", "measure_id", "status", "date", "due_date", "note", "evidence")
Key = tuple[str, str]


@dataclass(frozen=True, order=True)
class Event:
    """One row of progress.csv; events sort by organisation and date."""

    org: str
    date: dt.date
    measure_id: str
    status: str
    due_date: dt.date | None = None
    note: str = ""
    evidence: str = ""

    def row(self) -> tuple[str, ...]:
        date, due = self.date.isoformat(), self.due_date.isoformat() if self.due_date else ""
        return (self.org, self.measure_id, self.status, date, due, self.note, self.evidence)


@dataclass(frozen=True)
class Inputs:
    """The files the history is made of (see the module's docstring)."""

    config: dict[str, Any]
    profiles: dict[str, dict[str, str]]
    pinned: list[dict[str, str]]
    milestones: list[dict[str, str]]
    projects: list[dict[str, str]]

    @classmethod
    def load(cls, directory: Path = HERE) -> Inputs:
        def rows(name: str, delimiter: str = ",") -> list[dict[str, str]]:
            with (directory / name).open(encoding="utf-8", newline="") as fh:
                return list(csv.DictReader(fh, delimiter=delimiter))

        return cls(
            config=yaml.safe_load((directory / "generator.yaml").read_text(encoding="utf-8")),
            profiles={row["org"]: row for row in rows("profiles.csv")},
            pinned=rows("pinned_events.csv"),
            milestones=rows("meilensteine_gesundheitsamt.csv"),
            projects=rows("projekte_halle_2023.tsv", "\t"),
        )

    def completed_once(self) -> dict[Key, dt.date]:
        return {(c["org"], c["measure_id"]): c["completed"] for c in self.config["completed_once"]}

    def expected_levels(self, catalog: Catalog) -> dict[Key, int]:
        """The profiles, each lowered below a measure completed once and not renewed."""
        dims = [dim.id for dim in catalog.dimensions]
        out = {(org, d): int(row[d]) for org, row in self.profiles.items() for d in dims}
        for org, measure_id in self.completed_once():
            for dim, m in catalog.measures():
                if m.id == measure_id and m.level <= out[(org, dim.id)]:
                    out[(org, dim.id)] = m.level - 1
        return out


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months as the scoring rule counts them (``pandas.DateOffset``)."""
    return (pd.Timestamp(day) + pd.DateOffset(months=months)).date()


def end_of_quarter(day: dt.date) -> dt.date:
    return quarter_end(day.year, (day.month - 1) // 3 + 1)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def slug(text: str) -> str:
    umlauts = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    return "-".join(re.findall(r"[a-z0-9]+", text.lower().translate(umlauts))[:5])


class History:
    """Collects the events; per (organisation, measure) the dates strictly ascend."""

    def __init__(self, catalog: Catalog, inputs: Inputs) -> None:
        self.catalog, self.inputs, self.cfg = catalog, inputs, inputs.config
        self.text: dict[str, Any] = inputs.config["notes"]
        self.rng = random.Random(self.cfg["seed"])
        self.events: list[Event] = []
        self._last: dict[Key, dt.date] = {}

    def add(self, event: Event) -> None:
        key, where = (event.org, event.measure_id), f"{event.org} {event.measure_id}"
        if not self.cfg["first_day"] <= event.date <= self.cfg["stichtag"]:
            raise ValueError(f"{where}: Datum {event.date} außerhalb der Historie")
        if key in self._last and event.date <= self._last[key]:
            raise ValueError(f"{where}: {event.date} liegt nicht nach {self._last[key]}")
        self._last[key] = event.date
        self.events.append(event)

    def workday(self, day: dt.date) -> dt.date:
        """The first day from ``day`` on that is no weekend and no fixed holiday."""
        while day.weekday() >= 5 or [day.month, day.day] in self.cfg["holidays"]:
            day += days(1)
        return day

    def between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return self.workday(start)
        return self.workday(start + days(self.rng.randint(0, (end - start).days)))

    def note(self, kind: str, m: Measure, day: dt.date) -> str:
        return str(self.rng.choice(self.text[kind])).format(title=m.title, year=day.year)

    def completed(self, org: str, dim: Dimension, m: Measure, day: dt.date, note: str) -> None:
        """A completion with its evidence: a decision, or a document of the measure or of
        its dimension."""
        if m.id in self.cfg["decided_measures"]:
            evidence = self.decision(org, day)
        else:
            templates = self.cfg["dimension_evidence"][dim.id]
            template = self.cfg["measure_evidence"].get(m.id) or self.rng.choice(templates)
            site, month = self.inputs.profiles[org]["website"], f"{day.month:02d}/{day.year}"
            nr, title = self.rng.randint(1, 40), slug(m.title)
            evidence = template.format(
                site=site, year=day.year, date=f"{day:%d.%m.%Y}", month=month, nr=nr, slug=title
            )
        self.add(Event(org, day, m.id, "completed", None, note, evidence))

    def decision(self, org: str, day: dt.date) -> str:
        fields = {"number": self.rng.randint(10, 999), "year": day.year, "date": f"{day:%d.%m.%Y}"}
        own = self.cfg["decisions_by_org"].get(org)
        if own is None:
            return str(self.cfg["decisions"][self.inputs.profiles[org]["council"]]).format(**fields)
        period = "".join([name for start, name in own.get("periods", []) if start <= day][-1:])
        serial = self.rng.randint(*own["serial"])
        return str(own["format"]).format(**fields, serial=serial, period=period, yy=day.year % 100)

    def pinned(self) -> Iterator[Event]:
        """The events of pinned_events.csv, the Meilensteine and the Projektliste."""
        for r in self.inputs.pinned:
            due = parse_date(r["due_date"]) if r["due_date"] else None
            date = parse_date(r["date"])
            yield Event(r["org"], date, r["measure_id"], r["status"], due, r["note"], r["evidence"])
        for number, row in enumerate(self.inputs.milestones, start=1):
            yield from self.milestone(number, row)
        for row in self.inputs.projects:
            yield from self.project(row)

    def milestone(self, number: int, row: dict[str, str]) -> Iterator[Event]:
        """Measures of a reached milestone completed by its date; of an open one overdue."""
        due, ga = parse_date_or_quarter(row["due"])[0], GESUNDHEITSAMT
        label = {"number": number, "title": row["title"]}
        part = self.text["milestone_part"].format(**label)
        for k, measure_id in enumerate(parse_id_list(row["measures"])):
            if row["done_date"]:
                reached = parse_date(row["done_date"])
                done = reached - days(2 * k)
                begun = self.workday(done - days(75 + 9 * k))
                yield Event(ga, begun, measure_id, "in_progress", due, part)
                note = self.text["milestone_done"].format(**label)
                evidence = self.text["milestone_evidence"].format(date=f"{reached:%d.%m.%Y}")
                yield Event(ga, self.workday(done), measure_id, "completed", None, note, evidence)
            else:
                begun = self.workday(due - days(150 - 11 * k))
                yield Event(ga, begun, measure_id, "in_progress", due, part)
                late, new_due = self.workday(due + days(21 + 5 * k)), self.cfg["milestone_new_due"]
                note = self.text["milestone_late"].format(**label)
                yield Event(ga, late, measure_id, "in_progress", new_due, note)

    def project(self, row: dict[str, str]) -> Iterator[Event]:
        """Measures of the Projektliste 2023 under way from the start, completed at the end."""
        name = {"name": row["Projektname"], "description": row["Projektbeschreibung"]}
        start, end = parse_date(row["Start"]), parse_date(row["Ende"])
        for k, measure_id in enumerate(parse_id_list(row["measures"])):
            begun = self.workday(max(start, self.cfg["first_day"]) + days(3 * k))
            note = self.text["project"].format(**name)
            yield Event(HALLE, begun, measure_id, "in_progress", end, note)
            if row["Projektname"] in self.cfg["unfinished_projects"]:
                later, due = self.workday(end + days(10 + 3 * k)), self.cfg["project_new_due"]
                note = self.text["project_extended"].format(**name)
                yield Event(HALLE, later, measure_id, "in_progress", due, note)
                continue
            done = self.workday(end - days(4 + 3 * k))
            note = self.text["project_done"].format(**name)
            evidence = self.text["project_evidence"].format(**name, gb=row["GB"], r=row["R"])
            yield Event(HALLE, done, measure_id, "completed", None, note, evidence)

    def complete(
        self, org: str, dim: Dimension, m: Measure, done: dt.date, *, renew: bool = True
    ) -> None:
        """planned → in_progress → completed (the steps before not always recorded), then
        renewed in time."""
        roll = self.rng.random()
        steps: list[tuple[str, dt.date]] = []
        if roll < 0.45:
            started = done - days(self.rng.randint(30, 150))
            steps = [("planned", started - days(self.rng.randint(20, 120)))]
            steps.append(("in_progress", started))
        elif roll < 0.7:
            steps = [("in_progress", done - days(self.rng.randint(20, 120)))]
        due = end_of_quarter(done + days(self.rng.randint(-40, 20)))
        for status, when in steps:
            when = self.workday(when)
            if self.cfg["first_day"] <= when < done:
                note = self.note(status, m, when)
                self.add(Event(org, when, m.id, status, max(due, end_of_quarter(when)), note))
        self.completed(org, dim, m, done, self.note("completed", m, done))
        if renew:
            self.renew(org, dim, m, done)

    def renew(self, org: str, dim: Dimension, m: Measure, done: dt.date) -> None:
        """Renew a measure of limited validity in time: valid at the Stichtag and until
        ``valid_until``. A renewal due after the Stichtag is brought forward to the fourth
        quarter of 2024 (annual review)."""
        months = m.valid_for_months
        while months is not None and add_months(done, months) <= self.cfg["valid_until"]:
            day = self.workday(add_months(done, months) - days(self.rng.randint(7, 45)))
            note = self.text["renewed"].format(months=months)
            if day > self.cfg["stichtag"] - days(14):
                start = max(done + days(90), dt.date(2024, 10, 1))
                day = self.between(start, dt.date(2024, 12, 13))
                note = self.text["reviewed"].format(months=months, year=day.year)
            self.completed(org, dim, m, day, note)
            done = day

    def partial(
        self, org: str, dim: Dimension, todo: list[Measure], start: dt.date, done: int, total: int
    ) -> None:
        """The next level: some measures completed, the others under way or planned (the
        check with spatz.score finds a level completed by accident)."""
        if not todo:
            return
        self.rng.shuffle(todo)
        max_done = len(todo) - 1 if done + len(todo) >= total else len(todo)
        n_done = self.rng.randint(0, max(0, min(max_done, len(todo) // 2 + 1)))
        end = self.cfg["profile_end"]
        for i, m in enumerate(todo):
            if i < n_done:
                self.complete(org, dim, m, self.between(max(start, end - days(300)), end))
                continue
            if self.rng.random() < 0.55:
                planned = self.between(max(start, dt.date(2023, 9, 1)), dt.date(2024, 6, 30))
                due = end_of_quarter(self.between(dt.date(2025, 1, 15), dt.date(2025, 12, 15)))
                note = self.note("planned", m, planned)
                self.add(Event(org, planned, m.id, "planned", due, note))
                if self.rng.random() >= 0.6:
                    continue
                started = self.between(planned + days(20), dt.date(2024, 12, 13))
            else:
                started = self.between(dt.date(2024, 2, 1), dt.date(2024, 11, 29))
                due = end_of_quarter(self.between(dt.date(2025, 2, 1), dt.date(2025, 11, 30)))
            note = self.note("in_progress", m, started)
            self.add(Event(org, started, m.id, "in_progress", due, note))

    def later(self, org: str, m: Measure) -> None:
        """A measure two levels up: only noted for the budget."""
        planned = self.between(dt.date(2024, 3, 1), dt.date(2024, 12, 13))
        due = end_of_quarter(self.between(dt.date(2025, 7, 1), dt.date(2026, 11, 30)))
        self.add(Event(org, planned, m.id, "planned", due, self.text["later"]))

    def windows(self, org: str, dim_id: str, top: int, offset: int) -> list[list[dt.date]]:
        """One window per level 1..top, ascending and without overlap."""
        given: list[list[dt.date]] = self.cfg["windows"].get(org, {}).get(dim_id, [])
        if len(given) >= top:
            return given[:top]
        start = parse_date(self.inputs.profiles[org]["start"]) + days(offset)
        if given:
            start = given[-1][1] + days(14)
        rest, span = top - len(given), (self.cfg["profile_end"] - start).days
        cuts = [start + days(span * i // rest) for i in range(rest + 1)]
        return given + [[a, b - days(10)] for a, b in itertools.pairwise(cuts)]

    def dimension(self, org: str, index: int, dim: Dimension, pins: dict[Key, list[Event]]) -> None:
        """The history of one organisation in one dimension, along its profile."""
        top, once = int(self.inputs.profiles[org][dim.id]), self.inputs.completed_once()
        windows = self.windows(org, dim.id, max(top, 1), offset=17 * index % 90)
        for level in sorted({m.level for m in dim.measures}):
            measures = [m for m in dim.measures if m.level == level]
            generic: list[Measure] = []
            done = 0
            for m in measures:
                key = (org, m.id)
                if key in once:
                    self.complete(org, dim, m, once[key], renew=False)
                if key in pins:
                    for event in sorted(pins[key], key=lambda e: e.date):
                        self.add(event)
                    done += event.status in ("completed", "not_applicable")
                    if event.status == "completed":
                        self.renew(org, dim, m, event.date)
                elif m.id in self.cfg["early_measures"]:
                    day = self.between(self.cfg["first_day"], self.cfg["first_day"] + days(100))
                    self.completed(org, dim, m, day, self.cfg["early_note"])
                    done += 1
                elif key not in once:
                    generic.append(m)
            if level <= top:
                for m in generic:
                    self.complete(org, dim, m, self.between(*windows[level - 1]))
            elif level == top + 1:
                start = windows[-1][0] if top else parse_date(self.inputs.profiles[org]["start"])
                self.partial(org, dim, generic, start, done, len(measures))
            elif level == top + 2:
                for m in generic:
                    if self.rng.random() < 0.3:
                        self.later(org, m)


def generate(catalog: Catalog, inputs: Inputs) -> list[Event]:
    """The sorted events of every profile; raise ValueError for inconsistent inputs."""
    history = History(catalog, inputs)
    pins: dict[Key, list[Event]] = {}
    for event in history.pinned():
        pins.setdefault((event.org, event.measure_id), []).append(event)
    for org in sorted(inputs.profiles):
        for index, dim in enumerate(catalog.dimensions):
            history.dimension(org, index, dim, pins)
    return sorted(history.events)


def check(catalog: Catalog, inputs: Inputs, events: Sequence[Event]) -> dict[Key, int]:
    """The levels :func:`spatz.score` finds; ValueError where they are not the expected."""
    frame = pd.DataFrame([event.row() for event in events], columns=list(COLUMNS))
    result = spatz.score(catalog, frame, as_of=inputs.config["stichtag"])
    result = result[result["dimension_id"] != OVERALL]
    found = zip(result["org"], result["dimension_id"], result["level"], strict=True)
    reached = {(org, dim_id): int(level) for org, dim_id, level in found}
    expected = inputs.expected_levels(catalog)
    wrong = {k: (reached.get(k, 0), v) for k, v in expected.items() if reached.get(k, 0) != v}
    if wrong:
        raise ValueError(f"Profile nicht getroffen (erreicht, erwartet): {wrong}")
    return reached


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Erzeugt sample_data/progress.csv.")
    parser.add_argument("--output", type=Path, default=HERE / "progress.csv", help="Zieldatei")
    parser.add_argument("--summary", action="store_true", help="erreichte Stufen ausgeben")
    args = parser.parse_args(argv)
    catalog, inputs = default_catalog(), Inputs.load()
    try:
        events = generate(catalog, inputs)
        reached = check(catalog, inputs, events)
    except ValueError as exc:
        sys.stderr.write(f"generate_progress.py: {exc}\n")
        return 2
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([COLUMNS, *(e.row() for e in events)])
    args.output.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    if args.summary:
        dims = [dim.id for dim in catalog.dimensions]
        sys.stdout.write("org".ljust(14) + " ".join(x[:4] for x in dims) + "\n")
        for org in sorted(inputs.profiles):
            cells = " ".join(str(reached[(org, x)]).rjust(4) for x in dims)
            sys.stdout.write(f"{org.ljust(14)}{cells}\n")
        sys.stdout.write(f"{len(events)} Zeilen -> {args.output}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
