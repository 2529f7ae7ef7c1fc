"""The day list's department and doctor pickers (a part of console.bookings.daylist.DayListPage): read once,
when the page is first shown or the main window asks (prepare), after the queue's first rows."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTimer

from console.common.tasks import is_unreachable, user_message
from services.rosters import masterdata


class DayPickers:
    """Mixed into DayListPage: its ``department`` and ``doctor`` combo boxes, ``_wanted_department`` and
    ``_wanted_doctor`` (the saved choice), ``reload`` and ``query``. Its words are the page's (context
    DayListPage), as DayActions' are its own."""

    def prepare(self) -> None:
        """Read the departments and doctors for the pickers (once; the first show does it too): the main
        window asks once the queue has shown its rows."""
        if not self._departments_asked:
            self._departments_asked = True
            self._load_departments()

    def _load_departments(self) -> None:
        db = self.ctx.db

        def work():
            return masterdata.list_departments(db), masterdata.list_doctors(db)
        self.ctx.tasks.run_task(work, self._departments_loaded)

    def _departments_loaded(self, result, error) -> None:
        if error is not None:
            if not is_unreachable(error):
                self.messages.show_message(user_message(error), "error")
            QTimer.singleShot(5000, self._load_departments)
            return
        self._departments, self._doctors = result
        self.department.blockSignals(True)
        self.department.clear()
        self.department.addItem(QCoreApplication.translate("DayListPage", "All departments"), 0)
        for d in self._departments:
            self.department.addItem(d.name, d.id)
        self.department.setCurrentIndex(max(0, self.department.findData(self._wanted_department or 0)))
        self.department.blockSignals(False)
        self._fill_doctors(self._wanted_doctor)
        self._wanted_department = self._wanted_doctor = None
        if self._loading is None and self.model.query is not None and self.model.query != self.query():
            self.reload(new_query=True)  # the saved department or doctor is gone: the picker says 全部
        # (a load under way compares its query when it lands; a page not shown yet reads at its first show)

    def _fill_doctors(self, wanted: int | None = None) -> None:
        dep = self.department.currentData() or None
        self.doctor.blockSignals(True)
        self.doctor.clear()
        self.doctor.addItem(QCoreApplication.translate("DayListPage", "All doctors"), 0)
        for d in self._doctors:
            if dep is None or d.department_id == dep:
                self.doctor.addItem(d.name, d.id)
        self.doctor.setCurrentIndex(max(0, self.doctor.findData(wanted or 0)))
        self.doctor.blockSignals(False)

    def _department_chosen(self, _index: int) -> None:
        self._fill_doctors()
        self.reload(new_query=True)
