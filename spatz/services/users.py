"""Local accounts: argon2 password hashes, roles, logins with lockout.

A failed login counts against the account; after :data:`MAX_FAILED_LOGINS` failures in
a row it is locked for :data:`LOCKOUT`. Every login, failure and lock is in the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from spatz.errors import ConcurrentChangeError, NotFoundError, SpatzError
from spatz.model import Organisation, Role, UserAccount, UserPublic
from spatz.model.common import local_time, utcnow
from spatz.services.audit import audit
from spatz.services.auth import ROLES_WITH_ORG, Permission, authorize, scope_of
from spatz.services.common import Actor
from spatz.services.lookups import require_org

MIN_PASSWORD_LENGTH = 10
MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)

_hasher = PasswordHasher()
_UNKNOWN_USER_HASH = _hasher.hash("no such account: the same work as for a real one")


class AccountError(SpatzError, ValueError):
    """An account cannot be created or changed as asked (name taken, password too short…)."""


@dataclass(frozen=True)
class LoginOutcome:
    """The actor on success; else ``None`` and the message to show."""

    actor: Actor | None
    message: str = ""


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen haben")


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
    return Actor(name=user.name, role=user.role, org=org, scope=scope_of(session, user.role, org))


def add_user(
    *, session: Session, actor: Actor, name: str, role: Role, org: str | None, password: str
) -> UserPublic:
    """Create an account; ``leitung``, ``bearbeiter`` and ``gast`` belong to an
    organisation, ``admin`` and ``land`` to none."""
    authorize(actor, Permission.manage_users)
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


def list_users(*, session: Session, actor: Actor) -> list[UserPublic]:
    authorize(actor, Permission.manage_users)
    users = session.exec(select(UserAccount).order_by(col(UserAccount.name))).all()
    return [_public(session, u) for u in users]


def _public(session: Session, user: UserAccount) -> UserPublic:
    return UserPublic.model_validate(user, update={"org": _org_key(session, user)})


def login(
    *, session: Session, name: str, password: str, now: dt.datetime | None = None
) -> LoginOutcome:
    """Check a password. The caller commits: failures are counted and logged too."""
    now = now or utcnow()
    user = find_user(session, name)
    refused = LoginOutcome(None, "Anmeldung fehlgeschlagen: Name oder Passwort falsch")
    if user is None:
        _verify(_UNKNOWN_USER_HASH, password)
        audit(session, name, "login_failed", "user", name, at=now, after={"reason": "unknown"})
        return refused
    if user.locked_until is not None and _as_utc(user.locked_until) > now:
        audit(session, name, "login_failed", "user", name, at=now, after={"reason": "locked"})
        return LoginOutcome(None, _locked_message(user.locked_until))
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        reason = {"reason": "password", "failed_logins": user.failed_logins}
        audit(session, name, "login_failed", "user", name, at=now, after=reason)
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            audit(session, name, "lock", "user", name, at=now, after={"until": user.locked_until})
            session.add(user)
            return LoginOutcome(None, _locked_message(user.locked_until))
        session.add(user)
        return refused
    if user.failed_logins or user.locked_until is not None:
        user.failed_logins = 0
        user.locked_until = None
        session.add(user)
    actor = actor_of(session, user)
    audit(session, name, "login", "user", name, at=now, org=actor.org)
    return LoginOutcome(actor)


def login_single_sign_on(
    *, session: Session, name: str, now: dt.datetime | None = None
) -> LoginOutcome:
    """The login of the account that single sign-on (OpenID Connect) named; role and
    organisation come from SPATZ. The caller commits: the login is logged."""
    now = now or utcnow()
    user = find_user(session, name)
    if user is None:
        audit(session, name, "login_failed", "user", name, at=now, after={"reason": "sso"})
        return LoginOutcome(
            None, f"Für {name} gibt es kein SPATZ-Konto; bitte an die Administration wenden."
        )
    actor = actor_of(session, user)
    audit(session, name, "login", "user", name, at=now, org=actor.org, after={"method": "sso"})
    return LoginOutcome(actor)


def logout(*, session: Session, actor: Actor, expired: bool = False) -> None:
    """Log the end of a session: by the user, or because it expired."""
    reason = "expired" if expired else "user"
    audit(session, actor, "logout", "user", actor.name, org=actor.org, after={"reason": reason})


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _locked_message(until: dt.datetime) -> str:
    return (
        "Das Konto ist nach wiederholten Fehlversuchen gesperrt bis "
        f"{local_time(until):%d.%m.%Y %H:%M} Uhr"
    )
