; 住房公积金网厅 — Windows installer (NSIS 3, Unicode, x64). Built by `cargo xtask dist --target windows`:
;
;   makensis -DVERSION=0.1.0 -DSRCDIR=<dir with gjj-desktop.exe, WebView2Loader.dll, gjj.exe>
;            -DCENTREDIR=<dir with ca-bundle.pem, managed.toml> -DOUTFILE=<setup.exe>
;            [-DWEBVIEW2_INSTALLER=<MicrosoftEdgeWebView2RuntimeInstallerX64.exe>
;             | -DWEBVIEW2_BOOTSTRAPPER=<MicrosoftEdgeWebview2Setup.exe>] gjj-hall.nsi
;
; What it does (IT guide: installer/README.md):
; - Per user by default (no administrator rights: %LOCALAPPDATA%\Programs\GJJ Hall); for all users with
;   /ALLUSERS (or the choice page), into %ProgramFiles%\GJJ Hall. /CURRENTUSER forces per user.
; - Silent with /S. /D=<dir> sets the folder (last argument, NSIS rule).
; - The centre's CA bundle and the default managed configuration go to %ProgramData%\GJJ\ (where the app looks,
;   crates/client/src/settings.rs). managed.toml is written only when absent: an upgrade keeps what IT changed.
;   The CA bundle is the centre's and is always refreshed.
; - Upgrade over an older version: the new files are unpacked to a staging folder first, then swapped in one by
;   one with the old ones kept until the end; if anything fails the old files are put back, so a failed
;   update leaves the old version working. The user's data is never in the install folder (it is in
;   %LOCALAPPDATA%\gjj-hall and %APPDATA%\gjj-hall), so neither an upgrade nor a failed one can touch it.
; - The Tauri updater runs this with /P (passive: progress only), /UPDATE and /R (start the app afterwards),
;   or /S; its extra /ARGS are ignored.
; - Uninstall removes the program, shortcuts and registry entries and keeps the user's submissions database,
;   unless the box "同时删除本机业务数据" is ticked or the uninstaller runs with /PURGE.
; - WebView2: the app needs the Microsoft Edge WebView2 runtime (built into Windows 11 and current Windows 10).
;   For offline installs Tauri documents embedding Microsoft's Evergreen Standalone Installer
;   (webviewInstallMode "offlineInstaller"); this script does the same when WEBVIEW2_INSTALLER is defined, and
;   runs it with "/silent /install" only when the runtime is missing (about 180 MB: for sites WITHOUT
;   internet). WEBVIEW2_BOOTSTRAPPER embeds Microsoft's Evergreen Bootstrapper instead (about 2 MB; it downloads
;   the runtime, so only for sites WITH internet). With neither, setup stops with a message when the runtime is
;   missing instead of installing an app that cannot open its window; /SKIPWEBVIEW2 installs anyway (IT deploys
;   the runtime separately, e.g. by group policy), and the app then explains what is missing when started.

Unicode true
Target amd64-unicode
ManifestDPIAware true
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "define VERSION (e.g. -DVERSION=0.1.0)"
!endif
!ifndef SRCDIR
  !error "define SRCDIR: the folder with gjj-desktop.exe, WebView2Loader.dll and gjj.exe"
!endif
!ifndef CENTREDIR
  !error "define CENTREDIR: the folder with the centre's ca-bundle.pem and managed.toml"
!endif
!ifndef OUTFILE
  !define OUTFILE "gjj-hall_${VERSION}_x64-setup.exe"
!endif

!define PRODUCT "住房公积金网厅"
!define PUBLISHER "衡阳市住房公积金管理中心"
!define EXE "gjj-desktop.exe"
!define REGKEY "Software\GJJ\Hall"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\GJJHall"
; The WebView2 runtime's EdgeUpdate client id (the same check as Tauri's own NSIS template).
!define WEBVIEW2_GUID "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"

Name "${PRODUCT}"
OutFile "${OUTFILE}"
BrandingText "${PRODUCT} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=2052 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=2052 "FileDescription" "${PRODUCT} 安装程序"
VIAddVersionKey /LANG=2052 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=2052 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "LegalCopyright" "${PUBLISHER}"

!define MULTIUSER_EXECUTIONLEVEL Highest
!define MULTIUSER_MUI
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_INSTALLMODE_DEFAULT_CURRENTUSER
!define MULTIUSER_INSTALLMODE_INSTDIR "GJJ Hall"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_KEY "${REGKEY}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_VALUENAME "InstallDir"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_KEY "${REGKEY}"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_VALUENAME "InstallDir"
!define MULTIUSER_USE_PROGRAMFILES64
!include MultiUser.nsh
!include MUI2.nsh
!include LogicLib.nsh
!include FileFunc.nsh
!include Sections.nsh
!include x64.nsh

!ifdef ICON
  !define MUI_ICON "${ICON}"
  !define MUI_UNICON "${ICON}"
!endif
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "立即打开${PRODUCT}"

Var Passive      ; /P: progress only (Tauri updater)
Var Update       ; /UPDATE: started by the updater
Var Relaunch     ; /R: start the app when done
Var Purge        ; uninstaller /PURGE

!define MUI_PAGE_CUSTOMFUNCTION_PRE SkipIfPassive
!insertmacro MUI_PAGE_WELCOME
!define MUI_PAGE_CUSTOMFUNCTION_PRE SkipIfPassive
!insertmacro MULTIUSER_PAGE_INSTALLMODE
!define MUI_PAGE_CUSTOMFUNCTION_PRE SkipIfPassive
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_PAGE_CUSTOMFUNCTION_PRE SkipIfPassive
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "SimpChinese"

Function SkipIfPassive
  ${If} $Passive == 1
    Abort
  ${EndIf}
FunctionEnd

Function .onInit
  !insertmacro MULTIUSER_INIT
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/P" $R1
  ${IfNot} ${Errors}
    StrCpy $Passive 1
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/UPDATE" $R1
  ${IfNot} ${Errors}
    StrCpy $Update 1
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/R" $R1
  ${IfNot} ${Errors}
    StrCpy $Relaunch 1
  ${EndIf}
  ; /ALLUSERS in capitals too (MultiUser.nsh looks for /AllUsers; GetOptions ignores case).
  ClearErrors
  ${GetOptions} $R0 "/ALLUSERS" $R1
  ${IfNot} ${Errors}
    ${If} $MultiUser.Privileges == "Admin"
    ${OrIf} $MultiUser.Privileges == "Power"
      Call MultiUser.InstallMode.AllUsers
    ${Else}
      MessageBox MB_ICONSTOP "为所有用户安装（/ALLUSERS）需要管理员权限：请以管理员身份运行安装程序。" /SD IDOK
      SetErrorLevel 740
      Quit
    ${EndIf}
  ${EndIf}
  Call CheckWebView2
FunctionEnd

; The app cannot open its window without the WebView2 runtime.
Function CheckWebView2
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKCU "SOFTWARE\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${EndIf}
  ${If} $0 != ""
  ${AndIf} $0 != "0.0.0.0"
    Return
  ${EndIf}
  ClearErrors
  ${GetOptions} $CMDLINE "/SKIPWEBVIEW2" $1
  ${IfNot} ${Errors}
    DetailPrint "未安装 WebView2 运行时（/SKIPWEBVIEW2）：请 IT 另行安装，否则程序启动时会提示。"
    Return
  ${EndIf}
  !ifdef WEBVIEW2_INSTALLER
    InitPluginsDir
    SetOutPath "$PLUGINSDIR"
    File "/oname=$PLUGINSDIR\MicrosoftEdgeWebView2RuntimeInstaller.exe" "${WEBVIEW2_INSTALLER}"
    DetailPrint "正在安装 Microsoft Edge WebView2 运行时……"
    ExecWait '"$PLUGINSDIR\MicrosoftEdgeWebView2RuntimeInstaller.exe" /silent /install' $1
    ${If} $1 != 0
      MessageBox MB_ICONSTOP "安装 Microsoft Edge WebView2 运行时失败（代码 $1）。请联系单位 IT 安装该运行时后重新运行本安装程序。" /SD IDOK
      SetErrorLevel 3
      Quit
    ${EndIf}
  !else ifdef WEBVIEW2_BOOTSTRAPPER
    InitPluginsDir
    SetOutPath "$PLUGINSDIR"
    File "/oname=$PLUGINSDIR\MicrosoftEdgeWebview2Setup.exe" "${WEBVIEW2_BOOTSTRAPPER}"
    DetailPrint "正在下载并安装 Microsoft Edge WebView2 运行时（需要互联网）……"
    ExecWait '"$PLUGINSDIR\MicrosoftEdgeWebview2Setup.exe" /silent /install' $1
    ${If} $1 != 0
      MessageBox MB_ICONSTOP "下载或安装 Microsoft Edge WebView2 运行时失败（代码 $1）。没有互联网的电脑请使用内含离线安装程序的安装包，或由 IT 先安装该运行时。" /SD IDOK
      SetErrorLevel 3
      Quit
    ${EndIf}
  !else
    MessageBox MB_ICONSTOP "本机缺少 Microsoft Edge WebView2 运行时，${PRODUCT}无法显示窗口。$\r$\n请联系单位 IT 安装“Microsoft Edge WebView2 运行时”（Windows 11 已自带），然后重新运行本安装程序。" /SD IDOK
    SetErrorLevel 2
    Quit
  !endif
FunctionEnd

; Waits up to 15 s for a running copy to close (the updater starts us while it exits).
Function WaitForApp
  StrCpy $2 0
  ${Do}
    ${IfNot} ${FileExists} "$INSTDIR\${EXE}"
      Return
    ${EndIf}
    ClearErrors
    FileOpen $3 "$INSTDIR\${EXE}" a
    ${IfNot} ${Errors}
      FileClose $3
      Return
    ${EndIf}
    IntOp $2 $2 + 1
    ${If} $2 >= 30
      MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "${PRODUCT}正在运行。请关闭它后点“重试”。" /SD IDCANCEL IDRETRY +3
      SetErrorLevel 4
      Quit
      StrCpy $2 0
    ${EndIf}
    Sleep 500
  ${Loop}
FunctionEnd

; Swap one staged file in: current → .backup, staged → current. Sets the error flag on failure.
!macro SwapIn NAME
  ${IfNot} ${Errors}
    ${If} ${FileExists} "$INSTDIR\${NAME}"
      Rename "$INSTDIR\${NAME}" "$INSTDIR\.backup\${NAME}"
    ${EndIf}
    ${IfNot} ${Errors}
      Rename "$INSTDIR\.staging\${NAME}" "$INSTDIR\${NAME}"
    ${EndIf}
  ${EndIf}
!macroend

; Put one backed-up file back (after a failed swap).
!macro Restore NAME
  ${If} ${FileExists} "$INSTDIR\.backup\${NAME}"
    Delete "$INSTDIR\${NAME}"
    Rename "$INSTDIR\.backup\${NAME}" "$INSTDIR\${NAME}"
  ${EndIf}
!macroend

Section "${PRODUCT}" SecApp
  SectionIn RO
  Call WaitForApp
  ; 1. Unpack everything beside the installed version; a failure here (disk full) leaves it untouched.
  RMDir /r "$INSTDIR\.staging"
  RMDir /r "$INSTDIR\.backup"
  CreateDirectory "$INSTDIR\.backup"
  SetOutPath "$INSTDIR\.staging"
  SetOverwrite on
  ClearErrors
  File "${SRCDIR}\${EXE}"
  File "${SRCDIR}\WebView2Loader.dll"
  File "${SRCDIR}\gjj.exe"
  ${If} ${Errors}
    SetOutPath "$TEMP"
    RMDir /r "$INSTDIR\.staging"
    MessageBox MB_ICONSTOP "无法写入安装文件夹 $INSTDIR（磁盘已满或没有权限）。原有版本未改动。" /SD IDOK
    SetErrorLevel 5
    Quit
  ${EndIf}
  ; 2. Swap; on any failure put every old file back.
  SetOutPath "$INSTDIR"
  ClearErrors
  !insertmacro SwapIn "${EXE}"
  !insertmacro SwapIn "WebView2Loader.dll"
  !insertmacro SwapIn "gjj.exe"
  ${If} ${Errors}
    !insertmacro Restore "${EXE}"
    !insertmacro Restore "WebView2Loader.dll"
    !insertmacro Restore "gjj.exe"
    RMDir /r "$INSTDIR\.staging"
    RMDir /r "$INSTDIR\.backup"
    MessageBox MB_ICONSTOP "更新未完成：有文件被占用或无法替换。原有版本已恢复，可继续使用；请关闭${PRODUCT}后重试。" /SD IDOK
    SetErrorLevel 6
    Quit
  ${EndIf}
  RMDir /r "$INSTDIR\.staging"
  RMDir /r "$INSTDIR\.backup"

  ; 3. The centre's CA bundle and IT's managed configuration (settings.rs: %ProgramData%\GJJ\managed.toml).
  ReadEnvStr $R9 "ProgramData"
  ${If} $R9 == ""
    StrCpy $R9 "C:\ProgramData"
  ${EndIf}
  SetOutPath "$R9\GJJ"
  SetOverwrite on
  File "/oname=ca-bundle.pem" "${CENTREDIR}\ca-bundle.pem"
  SetOverwrite off
  File "/oname=managed.toml" "${CENTREDIR}\managed.toml"
  SetOverwrite on

  ; 4. Shortcuts, registry, uninstaller.
  SetOutPath "$INSTDIR"
  CreateShortcut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
  ${If} $Update != 1
  ${OrIf} ${FileExists} "$DESKTOP\${PRODUCT}.lnk"
    CreateShortcut "$DESKTOP\${PRODUCT}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
  ${EndIf}
  WriteRegStr SHCTX "${REGKEY}" "InstallDir" "$INSTDIR"
  WriteRegStr SHCTX "${REGKEY}" "Version" "${VERSION}"
  WriteRegStr SHCTX "${REGKEY}" "InstallMode" "$MultiUser.InstallMode"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr SHCTX "${UNINSTKEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr SHCTX "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINSTKEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr SHCTX "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\${EXE}"
  WriteRegStr SHCTX "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode'
  WriteRegStr SHCTX "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode /S'
  WriteRegDWORD SHCTX "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD SHCTX "${UNINSTKEY}" "EstimatedSize" $0
SectionEnd

Function .onInstSuccess
  ${If} $Relaunch == 1
    Exec '"$INSTDIR\${EXE}"'
  ${EndIf}
FunctionEnd

; ---------------------------------------------------------------------------------------------------------
; Uninstaller


Section "un.${PRODUCT}（程序）" SecUnApp
  SectionIn RO
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\gjj.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir /r "$INSTDIR\.staging"
  RMDir /r "$INSTDIR\.backup"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  Delete "$DESKTOP\${PRODUCT}.lnk"
  DeleteRegKey SHCTX "${UNINSTKEY}"
  DeleteRegKey SHCTX "${REGKEY}"
  DeleteRegKey /ifempty SHCTX "Software\GJJ"
  ; %ProgramData%\GJJ (CA bundle, IT's managed.toml) stays for a reinstall; IT deletes it when retiring the app.
SectionEnd

; Unticked by default: the submissions database (receipts, unsent submissions, drafts), settings and logs of
; the user running the uninstaller. Other Windows users' data is in their own profiles and is not touched.
Section /o "un.同时删除本机业务数据（已提交记录、草稿、设置和日志，不可恢复）" SecPurge
  Push $0
  StrCpy $0 $MultiUser.InstallMode
  SetShellVarContext current
  RMDir /r "$LOCALAPPDATA\gjj-hall"
  RMDir /r "$APPDATA\gjj-hall"
  ${If} $0 == "AllUsers"
    SetShellVarContext all
  ${EndIf}
  Pop $0
SectionEnd

; After the sections: it selects SecPurge.
Function un.onInit
  !insertmacro MULTIUSER_UNINIT
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/PURGE" $R1
  ${IfNot} ${Errors}
    StrCpy $Purge 1
    !insertmacro SelectSection ${SecPurge}
  ${EndIf}
FunctionEnd
