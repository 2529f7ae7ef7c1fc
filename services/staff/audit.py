"""The audit log: who changed what, when. Written inside the transaction of the change itself."""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from services.clock import utcnow
from services.models import AuditLog
from services.staff.actor import Actor

log = logging.getLogger(__name__)


def record(conn: Connection, actor: Actor, action: str, entity: str, entity_id, detail: dict | None = None) -> None:
    conn.execute(insert(AuditLog).values(
        at=utcnow(), actor_kind=actor.kind, actor=actor.name, action=action, entity=entity,
        entity_id=str(entity_id),
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None))


def record_many(conn: Connection, actor: Actor, action: str, entity: str, ids, detail: dict | None = None) -> None:
    """One audit row per id, in one statement."""
    record_each(conn, actor, action, entity, [(i, detail) for i in ids])


def record_each(conn: Connection, actor: Actor, action: str, entity: str, items) -> None:
    """One audit row per (id, detail) of ``items``, as record() writes each, in one statement."""
    items = list(items)
    if not items:
        return
    now = utcnow()
    conn.execute(insert(AuditLog), [
        {"at": now, "actor_kind": actor.kind, "actor": actor.name, "action": action, "entity": entity,
         "entity_id": str(i), "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else None}
        for i, detail in items])


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor_kind: str
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: dict | None


def history(conn: Connection, entity: str, entity_id, limit: int = 200) -> list[AuditEntry]:
    rows = conn.execute(select(AuditLog).where(AuditLog.entity == entity, AuditLog.entity_id == str(entity_id))
                        .order_by(AuditLog.id).limit(limit)).all()
    return [AuditEntry(r.id, r.at, r.actor_kind, r.actor, r.action, r.entity, r.entity_id,
                       json.loads(r.detail) if r.detail else None) for r in rows]
