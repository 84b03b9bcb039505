"""Import & Export: upload with preview and error table; Land CSV and the report.

Each part is offered as far as the account's role allows; the services check again."""

from __future__ import annotations

import data
import formatting as fmt
import pandas as pd
import session
import streamlit as st

from spatz import DataImportError, Dialect, Permission, SpatzError, land_csv, read_table_bytes

KINDS = {
    "progress": ("Maßnahmenstände (org, measure_id, status, date …)", Permission.record_measures),
    "organisations": (
        "Organisationen (org, name, kind, land, ags, parent)",
        Permission.manage_organisations,
    ),
    "targets": ("Ziele (org, dimension_id, target_level, target_date)", Permission.set_targets),
    "projects": (
        "Projektliste (GB, R, Projektname, Projektbeschreibung, Start, Dauer, Ende)",
        Permission.plan_projects,
    ),
    "milestones": ("Meilensteine (title, due, done_date, measures)", Permission.plan_projects),
}

sel = data.selection()
st.title("Import & Export")


def problem_table(error: DataImportError, what: str) -> None:
    """The refusal of an upload with one row per problem (line, column, message)."""
    st.error(
        f"{fmt.plain(what)} nicht importiert: {len(error.problems)} Fehler"
        + (" (nur die ersten 50)" if error.truncated else "")
        + ". Bitte korrigieren und erneut hochladen; es wurde nichts gespeichert."
    )
    st.dataframe(
        pd.DataFrame(
            [(p.line, p.column or "", p.message) for p in error.problems],
            columns=["Zeile", "Spalte", "Meldung"],
        ),
        hide_index=True,
        width="stretch",
    )


def import_section(kinds: dict[str, str]) -> None:
    kind = st.selectbox("Was wird importiert?", list(kinds), format_func=kinds.__getitem__)
    orgs = data.organisations()
    org = sel.org
    if kind in ("projects", "milestones"):
        labels = dict(zip(orgs["org"], orgs["name"], strict=True))
        org = st.selectbox(
            "für Organisation",
            list(labels),
            index=list(labels).index(sel.org),
            format_func=labels.__getitem__,
        )
    upload = st.file_uploader("Datei (CSV oder XLSX)", type=["csv", "tsv", "txt", "xlsx"])
    if upload is None:
        return
    try:
        table = read_table_bytes(upload.getvalue(), upload.name)
        st.caption(
            f"Vorschau: {len(table.rows)} Zeilen, Spalten {fmt.plain(', '.join(table.columns))}"
        )
        st.dataframe(
            pd.DataFrame([r.values for r in table.rows[:20]], columns=table.columns),
            hide_index=True,
            width="stretch",
        )
        check = data.run_import(kind, table, org, dry_run=True)
    except DataImportError as error:
        problem_table(error, "Die Datei wurde")
    except SpatzError as error:
        st.error(f"Die Datei wurde nicht importiert: {fmt.plain(error)}")
    else:
        st.info(fmt.plain(check))
        if st.button("Importieren", type="primary"):
            with st.spinner("Import läuft …"):
                done = data.run_import(kind, table, org, dry_run=False)
            data.after_write()
            st.success(fmt.plain(done))


# What the account may import at all; the services check every row's organisation.
allowed = {kind: label for kind, (label, permission) in KINDS.items() if session.can(permission)}
if allowed:
    st.header("Import")
    import_section(allowed)


def land_section() -> None:
    """Land exports of other Kommunen as comparison data: all files or none."""
    uploads = st.file_uploader(
        "Landesexporte (CSV, Komma oder Semikolon)",
        type=["csv"],
        accept_multiple_files=True,
        key="land_upload",
    )
    if not uploads:
        return
    files = [(upload.name, upload.getvalue()) for upload in uploads]
    try:
        checks = data.import_land(files, dry_run=True)
    except DataImportError as error:
        problem_table(error, "Die Dateien wurden")
        return
    except SpatzError as error:
        st.error(f"Die Dateien wurden nicht importiert: {fmt.plain(error)}")
        return
    for check in checks:
        st.info(fmt.plain(check))
    if st.button("Vergleichsdaten importieren", type="primary"):
        with st.spinner("Import läuft …"):
            done = data.import_land(files, dry_run=False)
        data.after_write()
        for summary in done:
            st.success(fmt.plain(summary))


if session.can(Permission.import_land):
    st.header("Vergleichsdaten anderer Kommunen")
    st.caption(
        "Was eine Datei über eine Organisation an einem Stichtag sagt, ersetzt, was dazu "
        "gespeichert war; dieselbe Datei noch einmal ändert nichts."
    )
    land_section()

st.header("Export")
with st.spinner("Export wird vorbereitet …"):
    rows = data.land_rows(sel.as_of)
stamp = sel.as_of.isoformat()
cols = st.columns(5)
cols[0].download_button(
    "Landesexport (CSV)",
    land_csv(rows, Dialect.rfc4180),
    file_name=f"spatz-landesexport-{stamp}.csv",
    mime="text/csv",
    help="Austauschformat Version 1 (Version 2 mit Zeilen je Gruppe, wenn der Katalog Gruppen "
    "hat): Komma, UTF-8, für den Landesvergleich",
)
cols[1].download_button(
    "Landesexport (Excel, deutsch)",
    land_csv(rows, Dialect.excel_de),
    file_name=f"spatz-landesexport-{stamp}-excel.csv",
    mime="text/csv",
    help="Semikolon und Dezimalkomma, öffnet direkt in Excel",
)
if session.can(Permission.view_detail, sel.org):
    cols[2].download_button(
        "Bericht für den Stadtrat (HTML)",
        data.report(sel.org, sel.as_of),
        file_name=f"spatz-bericht-{sel.org}-{stamp}.html",
        mime="text/html",
        help="Eigenständige HTML-Seite: Stufen, Ziele, Diagramme, nächste Maßnahmen, Projekte",
    )
    if cols[3].button("Bericht für den Stadtrat (PDF) erstellen"):
        with st.spinner("Bericht wird erstellt …"):
            pdf = data.report_pdf(sel.org, sel.as_of)
        cols[3].download_button(
            "Bericht (PDF) herunterladen",
            pdf,
            file_name=f"spatz-bericht-{sel.org}-{stamp}.pdf",
            mime="application/pdf",
            help="A4 mit Seitenzahlen: Deckblatt, Stufen und Ziele, Diagramme, nächste "
            "Maßnahmen, Projekte",
        )
    if cols[4].button("Arbeitsmappe (XLSX) erstellen"):
        with st.spinner("Arbeitsmappe wird erstellt …"):
            workbook = data.workbook(sel.as_of)
        cols[4].download_button(
            "Arbeitsmappe herunterladen",
            workbook,
            file_name=f"spatz-{stamp}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            help="Übersicht, Maßnahmen (mit Gründen für „nicht relevant“), Verlauf, Projekte, "
            "Meilensteine",
        )
