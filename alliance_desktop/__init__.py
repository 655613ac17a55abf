"""Alliance Desktop: an offline record of clients, sessions and the therapeutic alliance."""

__version__ = "0.1.0"
APP_ID = "org.alliancedesktop.AllianceDesktop"
APP_NAME = "Alliance Desktop"
ORG_NAME = "Alliance Desktop"
