//! What the desktop shell says and does when the window cannot exist: the Microsoft Edge WebView2 runtime is
//! missing (a Windows 10 PC without updates, a locked-down image) or the window fails to open. The shell
//! (src-tauri) shows [`webview2_missing`] in a native message box, logs it and exits with the stable code.

/// Exit code of gjj-desktop when the WebView2 runtime is missing.
pub const EXIT_WEBVIEW2_MISSING: i32 = 3;
/// Exit code of gjj-desktop when the window could not be created for another reason.
pub const EXIT_WINDOW_FAILED: i32 = 4;

/// Title of the native message box.
pub const DIALOG_TITLE: &str = "公积金网厅 - 无法打开窗口";

/// The message for a PC without the WebView2 runtime: what is missing, how IT installs it without internet,
/// and what still works meanwhile. `detail` is the system's own error, for IT.
pub fn webview2_missing(detail: &str) -> String {
    format!(
        "本程序需要 Microsoft Edge WebView2 运行时，这台电脑上没有安装（或已损坏），因此无法打开窗口。\n\n\
         请联系单位 IT 安装该运行时（Windows 11 和已更新的 Windows 10 自带）：\n\
         1. 没有互联网时：在其他电脑上从微软官网下载“WebView2 运行时 独立安装程序（Evergreen Standalone Installer，x64）”，\
         拷贝到本机后以管理员身份运行：MicrosoftEdgeWebView2RuntimeInstallerX64.exe /silent /install\n\
         2. 可以上网时：运行微软的“常青引导程序”MicrosoftEdgeWebview2Setup.exe /silent /install\n\
         3. 或使用中心提供的、内含 WebView2 离线安装程序的本程序安装包重新安装。\n\
         安装后重新打开本程序。命令行工具 gjj.exe 不需要该运行时，可先运行 gjj doctor 检查 USB key 和网络。\n\n\
         （退出代码 {EXIT_WEBVIEW2_MISSING}；系统信息：{detail}）"
    )
}

/// The message when the window could not be created although the runtime is there.
pub fn window_failed(detail: &str) -> String {
    format!(
        "公积金网厅无法打开窗口（{detail}）。请重新启动电脑后再试；仍失败请重新安装 Microsoft Edge WebView2 运行时和本程序，\
         或运行 gjj doctor 并把结果交给单位 IT。（退出代码 {EXIT_WINDOW_FAILED}）"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_runtime_the_offline_way_and_the_code() {
        let m = webview2_missing("0x80070002");
        for needle in [
            "WebView2",
            "MicrosoftEdgeWebView2RuntimeInstallerX64.exe /silent /install",
            "gjj doctor",
            "退出代码 3",
            "0x80070002",
        ] {
            assert!(m.contains(needle), "{needle} missing from: {m}");
        }
    }
}
