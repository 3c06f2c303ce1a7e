"""The health endpoint for the load balancer: database and broker, reported separately."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

OK = "ok"
DOWN = "fel"
EMBEDDED = "inbyggd"
# A load balancer asks often; a dead Redis must not hold the answer up for long.
BROKER_TIMEOUT_SECONDS = 1.0


def database_status() -> str:
    """Whether the database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means down, and is reported as such
        return DOWN
    return OK


def broker_status() -> str:
    """Whether the Celery broker (Redis) answers; in the embedded mode there is none to ask."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.REDIS_URL:
        return EMBEDDED
    import redis

    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL,
            socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
            socket_timeout=BROKER_TIMEOUT_SECONDS,
        )
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError:
        return DOWN
    return OK


def pending_recomputes() -> int | None:
    """Recompute requests kept in the database and not yet carried out."""
    from followup.models import RecomputeRequest

    try:
        return RecomputeRequest.objects.count()
    except Exception:  # the database line reports why
        return None


@require_safe
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, else 503; no login, no personal data."""
    checks = {"database": database_status(), "broker": broker_status()}
    healthy = all(state != DOWN for state in checks.values())
    body = {
        "status": OK if healthy else DOWN,
        **checks,
        "pending_recomputes": pending_recomputes() if checks["database"] == OK else None,
    }
    return JsonResponse(body, status=200 if healthy else 503)
