; Inno Setup 6 script: the Windows installer of Alliance Desktop.
;
; It packs the PyInstaller one-folder bundle dist\alliance-desktop\ (alliance-desktop.exe and
; its _internal\ folder) into one setup .exe. Build on Windows, from the repository root,
; after the bundle (packaging\windows\README.md says how):
;
;   iscc /DAppVersion=<alliance_desktop.__version__> packaging\windows\alliance-desktop.iss
;
; The version is written only in alliance_desktop\__init__.py; the build passes it in, so
; this file holds none. This script has NOT been compiled in this project's CI (Linux, no
; Inno Setup): it was reviewed against the Inno Setup documentation
; (https://jrsoftware.org/ishelp/) instead. Compile it on Windows before relying on it.

#if VER < EncodeVer(6,3,0)
  #error Inno Setup 6.3 or newer is needed (x64compatible architecture identifier)
#endif
#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=<alliance_desktop.__version__> packaging\windows\alliance-desktop.iss
#endif
; The setup .exe's own file version (VersionInfoVersion) takes up to four numbers only: a
; pre-release such as 0.2.0rc1 must also pass /DAppVersionNumeric=0.2.0.
#ifndef AppVersionNumeric
  #define AppVersionNumeric AppVersion
#endif

#define AppName "Alliance Desktop"
#define AppExeName "alliance-desktop.exe"
#define AppPublisher "Alliance Desktop engineers"
; SourcePath is this script's folder; ISPP strings are Pascal-style, so "\" is literal.
#define RepoRoot AddBackslash(SourcePath) + "..\.."
#define BundleDir RepoRoot + "\dist\alliance-desktop"

[Setup]
; AppId names this application to Windows (the uninstall entry is "<AppId>_is1") and to every
; later installer. It must NEVER change: with a new AppId a newer version would install
; beside the old one instead of upgrading it. "{{" is Inno's escape for a literal "{".
AppId={{D110F9C5-CFBD-4939-AAA5-072FA3A157AC}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
AppCopyright=Alliance Desktop engineers, GPL-3.0-or-later
VersionInfoVersion={#AppVersionNumeric}
VersionInfoProductName={#AppName}

; Per-user install by default: %LOCALAPPDATA%\Programs\Alliance Desktop, no administrator
; needed. The dialog lets an administrator choose "all users" (Program Files) instead;
; {autopf}, {autoprograms} and {autodesktop} follow that choice. A later installer reuses
; the mode and folder of the installed version (UsePreviousPrivileges and
; UsePreviousAppDir, both yes by default).
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes

; Qt 6.11 supports Windows 10 version 1809 (build 17763) or later and Windows 11, x86_64
; (https://doc.qt.io/qt-6.11/windows.html, "Supported Configurations"). The bundle is an
; x64 build; x64compatible also admits Arm64 Windows 11, which runs x64 programs.
MinVersion=10.0.17763
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible

; Upgrading over a running copy: Setup finds the running alliance-desktop.exe (Windows
; Restart Manager) on its "Preparing to Install" page and asks whether to close it before
; its files are replaced. The app does not register for a restart
; (RegisterApplicationRestart), so Setup would not restart it: the therapist starts it again
; and unlocks the database as on every start.
CloseApplications=yes
RestartApplications=no

SetupIconFile={#RepoRoot}\alliance_desktop\resources\icons\alliance-desktop.ico
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName}
LicenseFile={#RepoRoot}\LICENSE
WizardStyle=modern
OutputDir={#RepoRoot}\dist
OutputBaseFilename=alliance-desktop-{#AppVersion}-windows-x64-setup
Compression=lzma2
SolidCompression=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; Before a new version is copied over an old one, the old bundle's library folder goes, so
; no module of the previous version lingers beside the new ones. Program files only: the
; therapist's data is never inside {app}.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
; The whole one-folder bundle. ignoreversion: every file is private to this app and must
; match the others from the same build, whatever version numbers their DLLs carry.
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Tasks: desktopicon

[Run]
; postinstall entries run as the user who started Setup (runasoriginaluser is their
; default), never elevated, so the first start creates the data in that user's profile.
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#StringChange(AppName, '&', '&&')}}"; Flags: nowait postinstall skipifsilent

; Uninstalling: the uninstaller removes only what this script installed ({app}, the
; shortcuts, the Apps & features entry). It NEVER deletes the therapist's records. The
; database, its safety copies, the settings and the logs live in
;   %LOCALAPPDATA%\Alliance Desktop\Alliance Desktop
; (platformdirs user_data_dir("Alliance Desktop", "Alliance Desktop"), see
; alliance_desktop\paths.py), which this script never installs into. Keep it that way: no
; [UninstallDelete] entry may name {localappdata}, {userappdata} or {autoappdata}. After an
; uninstall, a reinstall or a newer version finds the data where it was, and the
; therapist deletes it by hand only if they mean to (README, "Install").
