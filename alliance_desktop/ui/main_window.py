"""The main window shell: menus, a welcome page, and a status bar naming the database.

The client list, client record and session editor arrive in later issues; this window is
their frame. It remembers its size and position between runs.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop import APP_NAME, __version__

WELCOME_TEXT = (
    "<h2>Welcome to Alliance Desktop</h2>"
    "<p>The therapeutic alliance has three parts: <b>agreement on goals</b>, "
    "<b>collaboration on tasks</b> and the <b>emotional bond</b>. Rating them session by "
    "session shows a rupture early, while there is still time to repair it.</p>"
)


class MainWindow(QMainWindow):
    """The application's one main window."""

    def __init__(
        self,
        database_label: str,
        client_count: int,
        settings: QSettings | None = None,
        *,
        demo: bool = False,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        demo_mark = " — DEMO DATA (made-up clients)" if demo else ""
        self.setWindowTitle(f"{APP_NAME} — {database_label}{demo_mark}")
        self._demo = demo
        self._settings = settings
        self._build_menus()
        self._build_welcome(client_count)
        self.statusBar().setObjectName("statusBar")
        self.database_status = QLabel(
            f"{client_count:,} clients · database {database_label}"
            + (" · demo data, not real clients" if demo else "")
        )
        self.database_status.setObjectName("databaseStatus")
        self.database_status.setAccessibleName("Database status")
        self.statusBar().addPermanentWidget(self.database_status, 1)
        self.resize(1100, 700)
        self._restore_geometry()

    def _build_menus(self) -> None:
        menu_bar = self.menuBar()
        file_menu = menu_bar.addMenu("&File")
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setObjectName("quitAction")
        # Platforms without a standard Quit key (Windows, bare X11) get the common Ctrl+Q.
        quit_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [
            QKeySequence("Ctrl+Q")
        ]
        self.quit_action.setShortcuts(quit_keys)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)
        for title in ("&Edit", "&Client", "&Session", "&Reports", "&Backup"):
            # Filled by the issues that build these parts; shown now so the layout is stable.
            menu = menu_bar.addMenu(title)
            menu.setEnabled(False)
        help_menu = menu_bar.addMenu("&Help")
        self.about_action = QAction(f"&About {APP_NAME}", self)
        self.about_action.setObjectName("aboutAction")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.about_action)

    def _build_welcome(self, client_count: int) -> None:
        page = QWidget(self)
        page.setObjectName("welcomePage")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(48, 48, 48, 48)
        text = QLabel(WELCOME_TEXT + self._caseload_sentence(client_count, self._demo), page)
        text.setObjectName("welcomeText")
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        text.setMaximumWidth(720)
        layout.addWidget(text)
        layout.addStretch(1)
        self.setCentralWidget(page)

    @staticmethod
    def _caseload_sentence(client_count: int, demo: bool) -> str:
        if demo:
            return (
                f"<p>This is a <b>demo database</b>: its {client_count:,} clients are made up. "
                "Keep real records in a database of their own.</p>"
            )
        if client_count == 0:
            return (
                "<p>This practice database is empty. To look around with made-up clients, "
                "run <code>alliance-desktop demo --clients 50 --db demo.db</code> and open "
                "<code>alliance-desktop --db demo.db</code>.</p>"
            )
        return f"<p>This practice database holds {client_count:,} clients.</p>"

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<b>{APP_NAME}</b> {__version__}<br>"
            "Records sessions and the therapeutic alliance, offline.<br>"
            "Licensed under the GNU General Public License, version 3 or later.<br>"
            "CORE-10 item wording © CORE System Trust, CC BY-ND 4.0.",
        )

    def _restore_geometry(self) -> None:
        if self._settings is None:
            return
        geometry = self._settings.value("mainWindow/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._settings is not None:
            self._settings.setValue("mainWindow/geometry", self.saveGeometry())
            self._settings.sync()
        super().closeEvent(event)
