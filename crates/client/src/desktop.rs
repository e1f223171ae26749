//! What the desktop shell says and does when the window cannot exist: the Microsoft Edge WebView2 runtime is
//! missing (a Windows 10 PC without updates, a locked-down image) or the window fails to open. The shell
//! (src-tauri) shows [`webview2_missing`] in a native message box, logs it and exits with the stable code.
//! Also how the process is set up before the window exists: the allocator, and how the web view paints on a Linux
//! PC without a GPU ([`prepare_process`]).

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

/// WebKitGTK's switch for accelerated compositing (Linux): set, and not "0", it paints without.
pub const WEBKIT_COMPOSITING_SWITCH: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// What else a window painting without compositing sets (each only when IT has not): WebKit's DMA-BUF renderer
/// and GTK's OpenGL serve composited painting only, and each set up Mesa in the app's process for nothing.
/// Measured at the login screen under Xvfb: 34.4 MiB of anonymous memory without compositing, 31.5 with these.
pub const WITHOUT_GPU_ALSO: [(&str, &str); 2] =
    [("WEBKIT_DISABLE_DMABUF_RENDERER", "1"), ("GDK_GL", "disable")];

/// Whether the window paints without WebKitGTK's accelerated compositing: when the PC has no GPU render node and
/// IT has not set the switch either way.
///
/// Without a GPU, Mesa's software rasteriser (llvmpipe) does the compositing: a virtual machine, a remote desktop,
/// a PC without its graphics driver. Measured under Xvfb (release, `cargo xtask bench`'s 100,000-row import): app
/// and WebKit processes held 640 MiB after the import with compositing, 492 without; the web process grew 63–75
/// MiB instead of 35–39 on the batch view; the import took 0.54–0.61 s instead of 0.42–0.54 s, llvmpipe taking the
/// CPU. Without compositing the page's painted copy lives in the app's own process instead (about 4 MiB). A PC
/// with a GPU keeps compositing.
pub fn paint_without_compositing(has_render_node: bool, switch_set: bool) -> bool {
    !has_render_node && !switch_set
}

/// Whether the system has a GPU render node (`/dev/dri/renderD*`).
pub fn has_gpu_render_node() -> bool {
    std::fs::read_dir("/dev/dri")
        .map(|dir| {
            dir.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false)
}

/// Whether the app started now on this machine would paint without compositing ([`paint_without_compositing`]
/// on Linux, with what the system and the environment say; what [`prepare_process`] decides).
pub fn paints_without_compositing_here() -> bool {
    cfg!(target_os = "linux")
        && paint_without_compositing(
            has_gpu_render_node(),
            std::env::var_os(WEBKIT_COMPOSITING_SWITCH).is_some(),
        )
}

/// What [`prepare_process`] decided, to log once logging is up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prepared {
    /// The window paints without accelerated compositing because this PC has no GPU.
    pub without_compositing: bool,
    /// glibc took the fixed heap thresholds ([`gjj_os::keep_heaps_lean`]).
    pub lean_heaps: bool,
}

impl Prepared {
    /// One log line each for the choices that were ours.
    pub fn log(self) {
        if self.without_compositing {
            tracing::info!(
                "no GPU render node: the window paints without WebKit's accelerated compositing ({WEBKIT_COMPOSITING_SWITCH}=0 to keep it)"
            );
        }
        tracing::debug!(lean_heaps = self.lean_heaps, "allocator thresholds");
    }
}

/// Sets up the desktop process before anything else runs: the allocator's thresholds (a window holds a big sheet
/// for a long time) and, on Linux, what WebKitGTK reads at start ([`paint_without_compositing`]). Call it first
/// thing in `main`, while no other thread can read the environment.
pub fn prepare_process() -> Prepared {
    let lean_heaps = gjj_os::keep_heaps_lean();
    let without_compositing = paints_without_compositing_here();
    if without_compositing {
        std::env::set_var(WEBKIT_COMPOSITING_SWITCH, "1");
        for (name, value) in WITHOUT_GPU_ALSO {
            if std::env::var_os(name).is_none() {
                std::env::set_var(name, value);
            }
        }
    }
    Prepared {
        without_compositing,
        lean_heaps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_pc_without_a_gpu_paints_without_compositing_and_a_switch_set_by_it_wins() {
        assert!(paint_without_compositing(false, false));
        assert!(!paint_without_compositing(true, false));
        assert!(!paint_without_compositing(false, true));
        assert!(!paint_without_compositing(true, true));
    }

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
