"""Erklärung zur Barrierefreiheit (BITV 2.0 § 7): what is met, what is not, whom to tell."""

from __future__ import annotations

import data
import formatting as fmt
import streamlit as st

st.title("Erklärung zur Barrierefreiheit")
st.markdown(
    "Diese Erklärung gilt für das Dashboard von SPATZ. Öffentliche Stellen müssen ihre "
    "Anwendungen nach der Barrierefreie-Informationstechnik-Verordnung (BITV 2.0) und den "
    "Gesetzen der Länder barrierefrei gestalten, auch solche für die eigenen Beschäftigten. "
    "Maßstab ist die europäische Norm EN 301 549, das heißt die Web Content Accessibility "
    "Guidelines (WCAG) 2.1 in der Stufe AA."
)

st.header("Stand der Vereinbarkeit")
st.markdown("Das Dashboard ist mit den Anforderungen **teilweise vereinbar**.")

st.header("Was erfüllt ist")
st.markdown(
    """
- Jede Seite wird für jede Rolle automatisch mit axe-core gegen alle prüfbaren Regeln der
  WCAG 2.0 und 2.1 in den Stufen A und AA geprüft, dazu die Reihenfolge der Überschriften;
  es gibt dabei keine Verstöße.
- Texte haben einen Kontrast von mindestens 4,5 : 1, Linien, Balken und Markierungen von
  mindestens 3 : 1; die Farben sind auch bei Farbenblindheit unterscheidbar, und die Linien
  unterscheiden sich zusätzlich durch Strichart und Markierung.
- Anmelden, Organisation und Stichtag wählen, eine Maßnahme erfassen und Abmelden gehen
  allein mit der Tastatur.
- Jedes Diagramm hat unter sich eine Kurzbeschreibung in einem Satz („Kurz: …“), und seine
  Zahlen stehen unter „Daten anzeigen“ auch als Tabelle.
- Die Seiten sind als deutschsprachig ausgezeichnet, die Überschriften folgen ohne Sprünge.
"""
)

st.header("Was nicht erfüllt ist")
st.markdown(
    """
- Einige Bedienelemente, die das zugrunde liegende Rahmenwerk Streamlit selbst erzeugt, sind
  englisch beschriftet, etwa „Skip to main content“, „Collapse sidebar“ und die Werkzeugleiste
  der Diagramme („Download plot as a PNG“, „Zoom“); Screenreader lesen sie mit deutscher
  Aussprache vor (WCAG 3.1.2).
- Die Diagramme selbst (Achsen, einzelne Punkte) lesen Screenreader nicht vor; sie
  erschließen sich über die Kurzbeschreibung und die Tabelle (WCAG 1.1.1).
- Die Bedienung allein mit der Tastatur ist für die übrigen Seiten (etwa Ziele setzen,
  Import) noch nicht vollständig geprüft (WCAG 2.1.1).
"""
)

st.header("Barrieren melden")
contact = data.accessibility_contact()
if contact:
    st.markdown(
        "Wenn Sie auf Barrieren stoßen oder Inhalte in einer anderen Form brauchen, wenden Sie "
        f"sich bitte an: {fmt.plain(contact)}"
    )
else:
    st.warning(
        "Für diese Installation ist noch keine Kontaktadresse hinterlegt. Der Betrieb trägt sie "
        "in der Umgebungsvariablen `SPATZ_ACCESSIBILITY_CONTACT` ein."
    )

st.header("Schlichtungsverfahren")
st.markdown(
    "Bleibt eine Meldung ohne zufriedenstellende Antwort, können Sie sich an die nach dem "
    "Behindertengleichstellungsgesetz Ihres Landes zuständige Durchsetzungs- oder "
    "Schlichtungsstelle wenden, bei Stellen des Bundes an die Schlichtungsstelle nach § 16 des "
    "Behindertengleichstellungsgesetzes (BGG)."
)
st.caption("Diese Erklärung wurde am 03.12.2026 erstellt und beruht auf einer Selbstbewertung.")
