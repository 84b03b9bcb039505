"""Sections that more than one page shows."""

from __future__ import annotations

import datetime as dt

import data
import formatting as fmt
import pandas as pd
import streamlit as st


def adopters(org: str, as_of: dt.date, open_measures: list[str], titles: dict[str, str]) -> None:
    """The section "Wer hat es schon umgesetzt?": for one of the organisation's open
    measures, the other organisations that have done it and may be named
    (:meth:`spatz.Store.adopters`)."""
    st.header("Wer hat es schon umgesetzt?")
    if not open_measures:
        st.success("Alle Maßnahmen sind umgesetzt oder nicht relevant.")
        return
    measure = st.selectbox(
        "Offene Maßnahme", open_measures, format_func=titles.__getitem__, key=f"adopters_{org}"
    )
    others = data.adopters(measure, as_of)
    others = others[others["org"] != org]
    if others.empty:
        st.info("Noch keine andere Organisation, die genannt werden möchte, hat sie umgesetzt.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Organisation": others["organisation"],
                    "umgesetzt am": others["date"].map(fmt.date),
                }
            ),
            hide_index=True,
            width="stretch",
        )
    st.caption(
        "Ansprechpartner für Erfahrungen und Nachnutzung. Genannt werden die Organisationen, "
        "die dem zugestimmt haben (Spalte „named“ der Organisationsliste), und die, deren "
        "Maßnahmen Sie ohnehin sehen."
    )
