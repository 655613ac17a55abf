"""The one module that knows where Alliance Desktop keeps its files.

Everything else asks this module for a path. Tests redirect all of it at once by setting
``ALLIANCE_HOME`` (a folder that then holds data, config and logs), the way qutebrowser's
``standarddir`` is pointed at a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from alliance_desktop import APP_NAME, ORG_NAME

#: Environment variable naming the database file (the CLI's ``--db`` wins over it).
DB_ENV = "ALLIANCE_DB"
#: Environment variable that relocates every folder (tests, portable installs).
HOME_ENV = "ALLIANCE_HOME"
DEFAULT_DB_NAME = "practice.db"


def _home_override() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """Folder for the database and its safety copies (not created here)."""
    home = _home_override()
    if home is not None:
        return home / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, ORG_NAME))


def log_dir() -> Path:
    """Folder for the diagnostic log that 'our bug' errors point to."""
    home = _home_override()
    if home is not None:
        return home / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, ORG_NAME))


def config_dir() -> Path:
    """Folder for user preferences (window layout, last folders)."""
    home = _home_override()
    if home is not None:
        return home / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, ORG_NAME))


def settings_file() -> Path:
    """The INI file holding the GUI's remembered state (QSettings in INI format)."""
    return config_dir() / "alliance-desktop.ini"


def default_database_path() -> Path:
    """The database used when neither ``--db`` nor ``ALLIANCE_DB`` names one."""
    return data_dir() / DEFAULT_DB_NAME


def database_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the database file: the explicit argument, then ``ALLIANCE_DB``, then the default."""
    if explicit:
        return Path(explicit).expanduser().absolute()
    from_env = os.environ.get(DB_ENV)
    if from_env:
        return Path(from_env).expanduser().absolute()
    return default_database_path()


def prepare_database_folder(path: Path) -> None:
    """Create the app's own data folder (owner-only) when ``path`` is the default database.

    A folder the user named with ``--db`` is never created: a typo there should be reported,
    not silently become a new, empty practice.
    """
    if path == default_database_path() and not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)


def resources_dir() -> Path:
    """The folder of files the app reads at run time (fonts, icons, desktop entry).

    They ship inside the package (``alliance_desktop/resources``, package data in the wheel,
    data files in the bundle) and are found through ``importlib.resources``, so a wheel
    installed anywhere, an editable checkout and the PyInstaller bundle all find them.
    """
    from importlib.resources import files

    folder = files("alliance_desktop") / "resources"
    if not isinstance(folder, Path):  # a zip import: reportlab and Qt need real files
        raise RuntimeError(f"Alliance Desktop's resources are not on a file system ({folder})")
    return folder
