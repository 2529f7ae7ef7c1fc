"""Icons from resources/icons/*.svg (drawn for regdesk: simple strokes in the style sheet's colours)."""
from __future__ import annotations

import logging
from functools import cache

from PySide6.QtGui import QIcon

from console.common.i18n import RESOURCES

log = logging.getLogger(__name__)

ICONS = RESOURCES / "icons"


@cache
def icon(name: str) -> QIcon:
    path = ICONS / f"{name}.svg"
    if not path.exists():
        log.info("no icon %s", path)
        return QIcon()
    return QIcon(str(path))
