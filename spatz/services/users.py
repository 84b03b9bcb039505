"""Local accounts: argon2 password hashes, roles, logins with lockout.

A failed login counts against the account; after :data:`MAX_FAILED_LOGINS` failures in
a row it is locked for :data:`LOCKOUT`. Every login, failure and lock is in the audit log.
At most :data:`VERIFICATION_SLOTS` password checks run at once; an attempt that finds
none free within :data:`VERIFICATION_WAIT` seconds is refused (and logged). A login's
actor carries the account's version: a change of the account ends its sessions
(:func:`session_problem`).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from spatz.errors import ConcurrentChangeError, NotFoundError, SpatzError
from spatz.model import Organisation, Role, UserAccount, UserPublic
from spatz.model.common import utcnow
from spatz.model.user import MAX_NAME_LENGTH, USER_NAME_PATTERN
from spatz.services.audit import audit, cut_off
from spatz.services.auth import ROLES_WITH_ORG, Permission, authorize, scope_of
from spatz.services.common import Actor
from spatz.services.lookups import require_org

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000
MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
LOCKED_INDEFINITELY = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
"""``locked_until`` of an account locked by ``spatz user lock``: until a new password."""
VERIFICATION_SLOTS = 2
"""Password checks running at once in a process; each takes argon2's memory (64 MiB)."""
VERIFICATION_WAIT = 3.0
"""Seconds an attempt waits for a free slot before it is refused as too many at once."""

REFUSED_MESSAGE = (
    "Anmeldung fehlgeschlagen: Name oder Passwort falsch, oder das Konto ist gesperrt "
    f"(nach {MAX_FAILED_LOGINS} Fehlversuchen für {LOCKOUT.seconds // 60} Minuten)"
)
BUSY_MESSAGE = "Zu viele Anmeldeversuche, bitte kurz warten"
CHANGED_MESSAGE = "Ihr Konto wurde geändert oder gesperrt; bitte neu anmelden."

_hasher = PasswordHasher()
_UNKNOWN_USER_HASH = _hasher.hash("no such account: the same work as for a real one")
_slots = threading.BoundedSemaphore(VERIFICATION_SLOTS)


class AccountError(SpatzError, ValueError):
    """An account cannot be created or changed as asked (name taken, password too short…)."""


@dataclass(frozen=True)
class LoginOutcome:
    """The actor on success; else ``None`` and the message to show."""

    actor: Actor | None
    message: str = ""


REFUSED = LoginOutcome(None, REFUSED_MESSAGE)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen haben")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"Das Passwort darf höchstens {MAX_PASSWORD_LENGTH} Zeichen haben")


def check_name(name: str) -> None:
    if len(name) > MAX_NAME_LENGTH:
        raise AccountError(
            f"Der Anmeldename darf höchstens {MAX_NAME_LENGTH} Zeichen haben (nicht {len(name)})"
        )
    if not re.fullmatch(USER_NAME_PATTERN, name):
        raise AccountError(
            f"Ungültiger Anmeldename {name!r}: Buchstaben, Ziffern und . _ @ - "
            "(am Anfang ein Buchstabe oder eine Ziffer)"
        )


def _shown_name(name: str) -> tuple[str, dict[str, int]]:
    """``name`` as the audit log records it: an over-long one cut off with ``…``, and then
    its length."""
    if len(name) <= MAX_NAME_LENGTH:
        return name, {}
    return cut_off(name, MAX_NAME_LENGTH), {"name_length": len(name)}


@contextmanager
def _verification_slot() -> Iterator[bool]:
    """One of :data:`VERIFICATION_SLOTS` for a password check; ``False`` if none became
    free within :data:`VERIFICATION_WAIT` seconds."""
    admitted = _slots.acquire(timeout=VERIFICATION_WAIT)
    try:
        yield admitted
    finally:
        if admitted:
            _slots.release()


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _org_key(session: Session, user: UserAccount) -> str | None:
    if user.org_id is None:
        return None
    org = session.get(Organisation, user.org_id)
    return org.key if org else None


def find_user(session: Session, name: str) -> UserAccount | None:
    return session.exec(select(UserAccount).where(UserAccount.name == name)).first()


def _require(session: Session, name: str) -> UserAccount:
    user = find_user(session, name)
    if user is None:
        raise NotFoundError(f"Konto {name!r} gibt es nicht")
    return user


def actor_of(session: Session, user: UserAccount) -> Actor:
    """The actor an account acts as, with the organisations it may see."""
    org = _org_key(session, user)
    return Actor(
        name=user.name,
        role=user.role,
        org=org,
        scope=scope_of(session, user.role, org),
        account_version=user.version,
    )


def session_problem(*, session: Session, actor: Actor) -> str | None:
    """Why the session of ``actor`` (from a login) must end, or ``None`` while its account
    is as it was at the login: not deleted, not changed (password, lock, role …)."""
    if actor.account_version is None:
        return None
    user = find_user(session, actor.name)
    if (
        user is None
        or user.version != actor.account_version
        or user.role != actor.role
        or _org_key(session, user) != actor.org
    ):
        return CHANGED_MESSAGE
    return None


def add_user(
    *, session: Session, actor: Actor, name: str, role: Role, org: str | None, password: str
) -> UserPublic:
    """Create an account; ``leitung``, ``bearbeiter`` and ``gast`` belong to an
    organisation, ``admin`` and ``land`` to none."""
    authorize(actor, Permission.manage_users)
    check_name(name)
    if find_user(session, name) is not None:
        raise AccountError(f"Konto {name!r} gibt es schon")
    if role in ROLES_WITH_ORG and org is None:
        raise AccountError(f"Ein Konto mit der Rolle {role.value} braucht eine Organisation")
    if role not in ROLES_WITH_ORG and org is not None:
        raise AccountError(f"Ein Konto mit der Rolle {role.value} gehört zu keiner Organisation")
    check_password(password)
    org_id = require_org(session, org).id if org is not None else None
    user = UserAccount(
        name=name,
        role=role,
        org_id=org_id,
        password_hash=_hasher.hash(password),
        created_by=actor.name,
    )
    UserAccount.model_validate(user)
    session.add(user)
    session.flush()
    audit(session, actor, "create", "user", name, org=org, after={"role": role, "org": org})
    return _public(session, user)


def change_password(
    *,
    session: Session,
    actor: Actor,
    name: str,
    password: str,
    expected_version: int | None = None,
) -> UserPublic:
    """Set a new password (and unlock the account). Everybody may change their own;
    ``admin`` anybody's. With ``expected_version``, refused if the account changed since."""
    if actor.name != name:
        authorize(actor, Permission.manage_users)
    check_password(password)
    user = _require(session, name)
    if expected_version is not None and user.version != expected_version:
        raise ConcurrentChangeError(
            f"Das Konto {name!r} wurde inzwischen geändert (Version {user.version}, "
            f"erwartet {expected_version}); bitte neu laden"
        )
    before = {"version": user.version, "locked_until": user.locked_until}
    user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    try:
        session.flush()
    except StaleDataError as error:
        raise ConcurrentChangeError(f"Das Konto {name!r} wurde gleichzeitig geändert") from error
    after = {"version": user.version, "password": "geändert", "locked_until": None}
    audit(session, actor, "password", "user", name, before=before, after=after)
    return _public(session, user)


def lock_user(*, session: Session, actor: Actor, name: str) -> UserPublic:
    """Lock an account until a new password is set (:func:`change_password`); its open
    sessions end, because its version rises."""
    authorize(actor, Permission.manage_users)
    user = _require(session, name)
    before = {"version": user.version, "locked_until": user.locked_until}
    user.locked_until = LOCKED_INDEFINITELY
    user.failed_logins = 0
    session.add(user)
    try:
        session.flush()
    except StaleDataError as error:
        raise ConcurrentChangeError(f"Das Konto {name!r} wurde gleichzeitig geändert") from error
    after = {"version": user.version, "locked_until": user.locked_until}
    audit(session, actor, "lock", "user", name, before=before, after=after)
    return _public(session, user)


def list_users(*, session: Session, actor: Actor) -> list[UserPublic]:
    authorize(actor, Permission.manage_users)
    users = session.exec(select(UserAccount).order_by(col(UserAccount.name))).all()
    return [_public(session, u) for u in users]


def _public(session: Session, user: UserAccount) -> UserPublic:
    return UserPublic.model_validate(user, update={"org": _org_key(session, user)})


def login(
    *, session: Session, name: str, password: str, now: dt.datetime | None = None
) -> LoginOutcome:
    """Check a password. The caller commits: failures are counted and logged too.

    Every attempt does the same work and gets the same refusal, whether the account does
    not exist, is locked or the password is wrong, so that a refusal tells nothing about
    the account. Failures are counted in one statement each (never lost, however many
    attempts arrive at once); the count and the lock never change the account's version,
    so they do not end its open sessions.
    """
    now = now or utcnow()
    shown, overlong = _shown_name(name)
    user = None if overlong else find_user(session, name)
    password_hash = user.password_hash if user is not None else _UNKNOWN_USER_HASH
    with _verification_slot() as admitted:
        if not admitted:
            reason = {"reason": "busy", **overlong}
            audit(session, shown, "login_refused", "user", shown, at=now, after=reason)
            return LoginOutcome(None, BUSY_MESSAGE)
        verified = _verify(password_hash, password)
    if user is None or user.id is None:
        reason = {"reason": "unknown", **overlong}
        audit(session, shown, "login_failed", "user", shown, at=now, after=reason)
        return REFUSED
    table: sa.Table = UserAccount.__table__  # type: ignore[attr-defined]
    unlocked = sa.or_(table.c.locked_until.is_(None), table.c.locked_until <= now)
    if verified:
        reset = session.execute(
            sa.update(table)
            .where(table.c.id == user.id, unlocked)
            .values(failed_logins=0, locked_until=None)
        )
        if reset.rowcount == 1:  # type: ignore[attr-defined]
            actor = actor_of(session, user)
            audit(session, name, "login", "user", name, at=now, org=actor.org)
            return LoginOutcome(actor)
        audit(session, name, "login_failed", "user", name, at=now, after={"reason": "locked"})
        return REFUSED
    failures = session.execute(
        sa.update(table)
        .where(table.c.id == user.id, unlocked)
        .values(failed_logins=table.c.failed_logins + 1)
        .returning(table.c.failed_logins)
    ).scalar_one_or_none()
    if failures is None:
        audit(session, name, "login_failed", "user", name, at=now, after={"reason": "locked"})
        return REFUSED
    reason = {"reason": "password", "failed_logins": failures}
    audit(session, name, "login_failed", "user", name, at=now, after=reason)
    if failures >= MAX_FAILED_LOGINS:
        until = now + LOCKOUT
        session.execute(
            sa.update(table)
            .where(table.c.id == user.id)
            .values(failed_logins=0, locked_until=until)
        )
        audit(session, name, "lock", "user", name, at=now, after={"until": until})
    return REFUSED


def login_single_sign_on(
    *, session: Session, name: str, now: dt.datetime | None = None
) -> LoginOutcome:
    """The login of the account that single sign-on (OpenID Connect) named; role and
    organisation come from SPATZ. The caller commits: the login is logged."""
    now = now or utcnow()
    shown, overlong = _shown_name(name)
    user = None if overlong else find_user(session, name)
    if user is None:
        reason = {"reason": "sso", **overlong}
        audit(session, shown, "login_failed", "user", shown, at=now, after=reason)
        return LoginOutcome(
            None, f"Für {shown} gibt es kein SPATZ-Konto; bitte an die Administration wenden."
        )
    if user.locked_until is not None and _as_utc(user.locked_until) > now:
        reason = {"reason": "locked", "method": "sso"}
        audit(session, name, "login_failed", "user", name, at=now, after=reason)
        return LoginOutcome(
            None, f"Das Konto {name} ist gesperrt; bitte an die Administration wenden."
        )
    actor = actor_of(session, user)
    audit(session, name, "login", "user", name, at=now, org=actor.org, after={"method": "sso"})
    return LoginOutcome(actor)


LogoutReason = Literal["user", "expired", "account_changed"]


def logout(*, session: Session, actor: Actor, reason: LogoutReason = "user") -> None:
    """Log the end of a session: by the user, because it expired, or because its account
    changed."""
    audit(session, actor, "logout", "user", actor.name, org=actor.org, after={"reason": reason})


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
