"""Account lockout after repeated failed sign-ins (HTTP 423 while locked).

Counted per account, so a password-guessing run against one user stops after
``lockout_after`` tries whatever IPs it comes from; the per-IP login rate limit
(:mod:`.ratelimit`) covers guessing across many accounts.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from steelsage.store.access_models import User


def locked_for(user: User, now: datetime) -> int:
    """Seconds until ``user`` may try again; 0 when not locked."""
    if user.locked_until is None or user.locked_until <= now:
        return 0
    return max(1, math.ceil((user.locked_until - now).total_seconds()))


def register_failure(user: User, now: datetime, *, after: int, minutes: int) -> bool:
    """Count one failed sign-in; lock the account at ``after`` failures. True when locked."""
    if user.locked_until is not None and user.locked_until <= now:
        user.failed_logins = 0  # an expired lock starts a fresh count
        user.locked_until = None
    user.failed_logins = (user.failed_logins or 0) + 1
    if after > 0 and user.failed_logins >= after:
        user.locked_until = now + timedelta(minutes=minutes)
        return True
    return False


def register_success(user: User, now: datetime) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now


def unlock(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None


def locked_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return (
        f"登录失败次数过多，账户已锁定，请 {minutes} 分钟后再试或联系管理员 / too many failed "
        f"sign-ins: the account is locked, try again in {minutes} minute(s) or ask an admin"
    )
