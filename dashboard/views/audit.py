"""Protokoll: the audit log (admin: everything, leitung: its organisations)."""

from __future__ import annotations

import data
import streamlit as st

st.title("Änderungsprotokoll")
st.caption(
    "Jede Änderung mit Zeitpunkt, Person, Vorgang und den Werten vorher und nachher; dazu "
    "An- und Abmeldungen und Fehlversuche. Einträge können nicht geändert oder gelöscht werden."
)
with st.spinner("Protokoll wird geladen …"):
    log = data.audit_log()
if log.empty:
    st.info("Noch keine Einträge.")
    st.stop()

actions = sorted(log["action"].unique())
chosen = st.multiselect("Vorgänge", actions, default=actions)
shown = log[log["action"].isin(chosen)]
st.dataframe(
    shown.assign(at=shown["at"].dt.strftime("%d.%m.%Y %H:%M:%S")).rename(
        columns={
            "at": "Zeitpunkt",
            "actor": "Person",
            "action": "Vorgang",
            "entity": "Art",
            "entity_key": "Schlüssel",
            "org": "Organisation",
            "before": "vorher",
            "after": "nachher",
        }
    ),
    hide_index=True,
    width="stretch",
)
st.caption(f"{len(shown)} von {len(log)} Einträgen (die neuesten zuerst).")
