//! The desktop app's WebDriver harness (feature `desktop-e2e`): tauri-driver, a session on the app's window,
//! and a desk — a local centre plus the app's own settings and data directories. Used by tests/desktop.rs and
//! the desktop benchmark (examples/bench_desktop.rs).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::{locked_token_double, Backend, Fixtures, LocalCentre, DOUBLE_PIN_STATE_ENV, SOFTHSM_MODULE};

/// How long a step may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(30);
/// How often a wait looks again: fantoccini's default.
const POLL: Duration = Duration::from_millis(250);

/// A path from the environment the harness (xtask) sets; panics saying how to run the tests.
pub fn env_path(name: &str) -> PathBuf {
    std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{name} is not set: run the desktop tests with `cargo xtask test`"))
}

/// tauri-driver on its fixed ports; stopped with SIGTERM (a killed driver leaves WebKitWebDriver behind).
pub struct Driver(Child);

impl Driver {
    /// Starts tauri-driver with `env` (the app it launches inherits it).
    pub fn start(env: &[(&str, &OsStr)]) -> Driver {
        // A WebKitWebDriver (tauri-driver's child) left by the previous test or an interrupted run can keep its
        // port: the new session would then reach the old driver and an app started with the old environment, or
        // hang.
        let _ = Command::new("pkill")
            .args(["-TERM", "-x", "WebKitWebDriver"])
            .status();
        for port in [4444, 4445] {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                && std::time::Instant::now() < deadline
            {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        let mut cmd = Command::new(env_path("GJJ_TAURI_DRIVER"));
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Driver(cmd.spawn().expect("tauri-driver"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// A WebDriver session on the app's window.
pub struct App {
    /// The session.
    pub client: Client,
    shots: PathBuf,
}

impl App {
    #[allow(missing_docs)]
    pub async fn connect(bin: &Path, shots: PathBuf) -> App {
        let caps = json!({ "browserName": "wry", "tauri:options": { "application": bin } });
        let caps = caps.as_object().cloned().unwrap_or_default();
        let mut last = None;
        for _ in 0..50 {
            match ClientBuilder::native()
                .capabilities(caps.clone())
                .connect("http://127.0.0.1:4444")
                .await
            {
                Ok(client) => return App { client, shots },
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("no WebDriver session: {last:?}");
    }

    /// The element `css`, waiting up to [`WAIT`] for it.
    pub async fn el(&self, css: &str) -> Element {
        self.el_within(css, WAIT).await
    }

    /// The element `css`, waiting up to `timeout` for it.
    pub async fn el_within(&self, css: &str, timeout: Duration) -> Element {
        self.el_polled(css, timeout, POLL).await
    }

    /// [`App::el_within`] polling every 10 ms, for timings: fantoccini's default period of 250 ms would add up to a
    /// quarter of a second to what is measured.
    pub async fn el_timed(&self, css: &str, timeout: Duration) -> Element {
        self.el_polled(css, timeout, Duration::from_millis(10)).await
    }

    async fn el_polled(&self, css: &str, timeout: Duration, period: Duration) -> Element {
        self.client
            .wait()
            .at_most(timeout)
            .every(period)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
    }

    #[allow(missing_docs)]
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(css)).await.unwrap_or_default()
    }

    #[allow(missing_docs)]
    pub async fn click(&self, css: &str) {
        self.el(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    #[allow(missing_docs)]
    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self.el(css).await;
        e.clear().await.unwrap_or_else(|err| panic!("clear {css}: {err}"));
        e.send_keys(text)
            .await
            .unwrap_or_else(|err| panic!("type into {css}: {err}"));
    }

    /// Waits until `css` exists and its text contains `needle`; returns the text.
    #[allow(missing_docs)]
    pub async fn text_contains(&self, css: &str, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            for e in self.all(css).await {
                if let Ok(t) = e.text().await {
                    if t.contains(needle) {
                        return t;
                    }
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{css} never showed “{needle}”"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    #[allow(missing_docs)]
    pub async fn until_gone(&self, css: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !self.all(css).await.is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "{css} is still there");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    #[allow(missing_docs)]
    pub async fn shot(&self, name: &str) {
        // Let transitions settle so the picture shows the state, not the animation.
        tokio::time::sleep(Duration::from_millis(400)).await;
        // WebKitWebDriver's screenshot waits for the window's next paint, and a window painting without
        // accelerated compositing (a PC without a GPU, Xvfb) paints only when something changed: on a settled
        // page the command never returned. An invisible change every 100 ms for 2 s gives it that paint.
        self.client
            .execute(
                "let n = 0; const t = setInterval(() => { const s = document.documentElement.style; \
                 s.outline = s.outline ? '' : '1px solid transparent'; if (++n >= 20) clearInterval(t); }, 100);",
                vec![],
            )
            .await
            .expect("schedule a repaint");
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::create_dir_all(&self.shots).expect("screenshot dir");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// A screenshot with `css` scrolled into the middle of the window (the state the picture is about).
    pub async fn shot_at(&self, name: &str, css: &str) {
        let e = self.el(css).await;
        let arg = serde_json::to_value(&e).expect("element");
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'})", vec![arg])
            .await
            .expect("scroll into view");
        self.shot(name).await;
    }

    #[allow(missing_docs)]
    pub async fn login(&self, unit: &str, pin: &str) {
        self.click(&format!("[data-testid=cert-option][data-unit='{unit}']"))
            .await;
        self.click("[data-testid=login-button]").await;
        self.type_into("[data-testid=pin-input] input", pin).await;
        self.click("[data-testid=pin-submit]").await;
    }
}

/// One desk: a local centre with its own tokens, the app's own settings and data directories, tauri-driver
/// and a WebDriver session on the app's window.
pub struct Desk {
    /// The window.
    pub app: App,
    // Declared before the centre and the directories: the app goes first, then what it used.
    _driver: Driver,
    /// The centre.
    pub centre: LocalCentre,
    /// The app's config and data directories (and work files).
    pub home: tempfile::TempDir,
}

/// Starts a centre and the app on it. `double_state` None: the user's settings name the SoftHSM module (the
/// known vendor paths are searched too). Some(state): only the PKCS#11 test double over the centre's tokens,
/// reporting `state` (locked, final_try, count_low), fixed by IT's managed file (else the vendor search would
/// also find SoftHSM itself and list every key twice).
pub async fn open_desk(double_state: Option<&str>) -> Desk {
    let (centre, home, env) = desk_home(double_state);
    let env: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let driver = Driver::start(&env);
    let app = App::connect(&env_path("GJJ_DESKTOP_BIN"), env_path("GJJ_SCREENSHOTS")).await;
    Desk {
        app,
        _driver: driver,
        centre,
        home,
    }
}

/// The centre and the app's directories for [`open_desk`], and the environment that points the app at them.
pub fn desk_home(
    double_state: Option<&str>,
) -> (LocalCentre, tempfile::TempDir, Vec<(&'static str, OsString)>) {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).expect("centre");
    let home = tempfile::tempdir().expect("tempdir");
    let config = home.path().join("config");
    let data = home.path().join("data");
    std::fs::create_dir_all(&config).expect("config dir");
    let module = match double_state {
        Some(_) => locked_token_double(centre.dir.path()).expect("build the PKCS#11 test double"),
        None => PathBuf::from(SOFTHSM_MODULE),
    };
    let modules = format!("pkcs11_modules = [\"{}\"]\n", module.display());
    std::fs::write(
        config.join("settings.toml"),
        format!(
            "server = \"{}\"\nca_bundle = \"{}\"\n{modules}log_level = \"debug\"\n",
            centre.url(),
            fixtures.ca_bundle().display()
        ),
    )
    .expect("settings");
    // A path that does not exist is "no managed file" (never this machine's /etc/gjj/managed.toml).
    let managed = home.path().join("managed.toml");
    if double_state.is_some() {
        std::fs::write(&managed, &modules).expect("managed settings");
    }
    let mut env: Vec<(&'static str, OsString)> = vec![
        ("GJJ_CONFIG_DIR", config.into_os_string()),
        ("GJJ_DATA_DIR", data.into_os_string()),
        ("GJJ_MANAGED_CONFIG", managed.into_os_string()),
        ("SOFTHSM2_CONF", centre.softhsm_conf().into_os_string()),
    ];
    if let Some(state) = double_state {
        env.push((DOUBLE_PIN_STATE_ENV, OsString::from(state)));
    }
    (centre, home, env)
}
