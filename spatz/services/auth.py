"""Roles and what they may do: the one place permissions are decided.

Every service function that reads or writes on behalf of somebody (keyword argument
``actor``) calls :func:`authorize` with the acting :class:`~spatz.services.common.Actor`
before it touches the data, and a read keeps to the actor's scope itself
(:attr:`Actor.scope`). The frame readers those reads build on (``events_frame``,
``targets_frame``, ``state_details``, ``linked_due_dates``, the imported Land rows) take no
actor and are called only by the read services. The Store, the dashboard and the CLI reach
the data only through the services.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session, select

from spatz.errors import PermissionDenied
from spatz.model import ROLE_LABELS, Organisation, Role
from spatz.services.common import Actor


class Permission(StrEnum):
    view_overview = "view_overview"
    view_detail = "view_detail"
    record_measures = "record_measures"
    set_targets = "set_targets"
    plan_projects = "plan_projects"
    view_land = "view_land"
    import_land = "import_land"
    view_audit = "view_audit"
    manage_organisations = "manage_organisations"
    manage_catalog = "manage_catalog"
    manage_users = "manage_users"
    backup = "backup"


PERMISSION_LABELS: dict[Permission, str] = {
    Permission.view_overview: "Reifegrade, Ist/Soll und Verlauf ansehen",
    Permission.view_detail: "Maßnahmen, Nachweise, Projekte und Meilensteine ansehen",
    Permission.record_measures: "Maßnahmen erfassen",
    Permission.set_targets: "Ziele (Soll) setzen",
    Permission.plan_projects: "Projekte und Meilensteine pflegen",
    Permission.view_land: "Landesvergleich und Land-Exporte ansehen",
    Permission.import_land: "Land-Exporte importieren",
    Permission.view_audit: "das Änderungsprotokoll ansehen",
    Permission.manage_organisations: "Organisationen pflegen",
    Permission.manage_catalog: "Kataloge laden",
    Permission.manage_users: "Konten verwalten",
    Permission.backup: "Sicherungen erstellen und einspielen",
}

_ALL = frozenset(Role)
PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.view_overview: _ALL,
    Permission.view_detail: frozenset({Role.admin, Role.leitung, Role.bearbeiter}),
    Permission.record_measures: frozenset({Role.admin, Role.bearbeiter}),
    Permission.set_targets: frozenset({Role.admin, Role.leitung}),
    Permission.plan_projects: frozenset({Role.admin, Role.leitung, Role.bearbeiter}),
    Permission.view_land: frozenset({Role.admin, Role.land}),
    Permission.import_land: frozenset({Role.admin, Role.land}),
    Permission.view_audit: frozenset({Role.admin, Role.leitung}),
    Permission.manage_organisations: frozenset({Role.admin}),
    Permission.manage_catalog: frozenset({Role.admin}),
    Permission.manage_users: frozenset({Role.admin}),
    Permission.backup: frozenset({Role.admin}),
}
"""Which roles hold which permission. Permissions about an organisation hold only within
the actor's scope (:attr:`Actor.scope`)."""

ROLES_WITH_ORG = frozenset({Role.leitung, Role.bearbeiter, Role.gast})
"""Roles whose accounts belong to an organisation; ``admin`` and ``land`` see all."""


def allows(actor: Actor, permission: Permission, org: str | None = None) -> bool:
    """Whether ``actor`` holds ``permission`` (for ``org``, if named)."""
    if actor.role not in PERMISSIONS[permission]:
        return False
    return org is None or actor.scope is None or org in actor.scope


def authorize(actor: Actor, permission: Permission, org: str | None = None) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` holds ``permission`` (for ``org``)."""
    if allows(actor, permission, org):
        return
    who = f"{actor.name} ({ROLE_LABELS[actor.role]})"
    what = PERMISSION_LABELS[permission]
    if actor.role in PERMISSIONS[permission]:
        raise PermissionDenied(f"Keine Berechtigung: {who} darf für {org!r} nicht {what}")
    raise PermissionDenied(f"Keine Berechtigung: {who} darf nicht {what}")


def authorize_all(actor: Actor, permission: Permission, orgs: set[str]) -> None:
    """:func:`authorize` for each of ``orgs`` (naming the first refused one, sorted)."""
    authorize(actor, permission)
    for org in sorted(orgs):
        authorize(actor, permission, org)


def scope_of(session: Session, role: Role, org: str | None) -> frozenset[str] | None:
    """The organisations an account of ``role`` belonging to ``org`` may see: ``gast`` its
    own, ``leitung`` and ``bearbeiter`` also every unit below it; ``None`` (all) for
    ``admin`` and ``land``. An account of a role that needs an organisation but has none
    sees nothing, never everything."""
    if role not in ROLES_WITH_ORG:
        return None
    if org is None:
        return frozenset()
    if role is Role.gast:
        return frozenset({org})
    rows = session.exec(select(Organisation.id, Organisation.key, Organisation.parent_id)).all()
    children: dict[int | None, list[tuple[int | None, str]]] = {}
    root: int | None = None
    for oid, key, parent in rows:
        children.setdefault(parent, []).append((oid, key))
        if key == org:
            root = oid
    if root is None:
        return frozenset({org})
    found: set[str] = {org}
    stack: list[int | None] = [root]
    while stack:
        for oid, key in children.get(stack.pop(), []):
            if key not in found:
                found.add(key)
                stack.append(oid)
    return frozenset(found)
