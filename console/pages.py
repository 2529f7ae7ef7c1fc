"""The pages the main window builds when first shown (console.navigation.Navigation.add_later), imported
then too: the clerk's start-up waits neither for their modules nor for the workbook, roster and WeChat
code under them. A page that cannot be imported fails loudly when it is opened (and in its tests)."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget

from console.common.context import ConsoleContext


def roster_page(ctx: ConsoleContext, parent: QWidget) -> QWidget:
    from console.rosters.page import RosterPage
    return RosterPage(ctx, parent)


def notifications_page(ctx: ConsoleContext, parent: QWidget) -> QWidget:
    from console.notifications.pages import NotificationFailuresPage
    return NotificationFailuresPage(ctx, parent)


def wechat_page(ctx: ConsoleContext, parent: QWidget) -> QWidget:
    from console.notifications.pages import WeChatSettingsPage
    return WeChatSettingsPage(ctx, parent)


def admin_page(ctx: ConsoleContext, parent: QWidget) -> QWidget:
    from console.admin.page import AdminPage
    return AdminPage(ctx, parent)
