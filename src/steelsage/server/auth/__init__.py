"""Access control: users and roles, API keys, browser sessions with CSRF, lockout, rate
limits, entitlement packages and the read audit.

Routes use the dependencies in :mod:`steelsage.server.deps`; the CLI and the admin API use
:mod:`.service`. Entitlements are expressed as :class:`steelsage.assistant.Principal`.
"""

from steelsage.server.auth.audit import AuditRecorder
from steelsage.server.auth.runtime import AuthRuntime, install_auth, runtime_for
from steelsage.server.auth.service import (
    ROLES,
    AccessError,
    AuthUser,
    KeyInfo,
    NewKey,
    PackageInfo,
    UserInfo,
    principal_for,
)

__all__ = [
    "ROLES",
    "AccessError",
    "AuditRecorder",
    "AuthRuntime",
    "AuthUser",
    "KeyInfo",
    "NewKey",
    "PackageInfo",
    "UserInfo",
    "install_auth",
    "principal_for",
    "runtime_for",
]
