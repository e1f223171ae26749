//! Issue 14 §3 and §5: the gateway's connection limits, rate limit and operations port, tried from outside —
//! raw sockets for the slowloris, curl (a foreign TLS client) for the ops port and an oversized request head,
//! and the clerk's real `gjj` for what must keep working.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gjj_tests::{bin, spawn_gateway, Backend, Fixtures, GatewayConfig, LocalCentre, SheetRow};

/// A demo centre whose gateway runs with `limits` and an ops port, started by this test (so it can signal it).
struct Gateway {
    centre: LocalCentre,
    config: PathBuf,
    child: Child,
    ops: String,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn gateway(limits: &[&str], drain_secs: u64) -> Gateway {
    let fixtures = Fixtures::from_env();
    let mut centre = LocalCentre::start(&fixtures, Backend::Sqlite).expect("centre");
    centre.stop();
    let ops = format!("127.0.0.1:{}", free_port());
    let mut cfg = GatewayConfig::new("127.0.0.1:0", &centre.database_url);
    cfg.extra_limits = limits.iter().map(|l| (*l).to_owned()).collect();
    cfg.ops_listen = Some(ops.clone());
    let config = centre.dir.path().join("limits.toml");
    let mut toml = cfg.toml(&fixtures);
    toml.push_str(&format!("drain_secs = {drain_secs}\n"));
    std::fs::write(&config, toml).expect("config");
    let mut cmd = Command::new(bin("gjj-server"));
    cmd.arg("--config")
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let (child, addrs) = spawn_gateway(&mut cmd, true).expect("gateway");
    centre.addr = addrs.api;
    Gateway {
        centre,
        config,
        child,
        ops,
    }
}

/// curl over server-auth TLS only (no client certificate): what HAProxy's check and Prometheus do.
fn curl_ops(fixtures: &Fixtures, url: &str) -> (String, String) {
    let out = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "10",
            "-o",
            "-",
            "-w",
            "\n%{http_code}",
            "--cacert",
        ])
        .arg(fixtures.ca_bundle())
        .arg(url)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or((&text, ""));
    (status.to_owned(), body.to_owned())
}

/// The value of one metric line (`name{labels}`), 0 when absent.
fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter(|l| labels.iter().all(|(k, v)| l.contains(&format!("{k}=\"{v}\""))))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn base_sheet(centre: &LocalCentre, rows: usize) -> PathBuf {
    let employees = gjj_tests::runtime()
        .block_on(centre.active_employees(gjj_tests::units::EMPLOYER_A))
        .expect("employees");
    let month = {
        let now = time::OffsetDateTime::now_utc();
        format!("{}-{:02}", now.year(), u8::from(now.month()))
    };
    let sheet: Vec<SheetRow> = employees
        .iter()
        .take(rows)
        .map(|e| SheetRow::adjust(e, gjj_domain::money::Fen(e.base.0 + 10_000), &month))
        .collect();
    let path = centre.dir.path().join("raise.xlsx");
    gjj_tests::write_base_adjustment(&path, &sheet).expect("sheet");
    path
}

fn submit(centre: &LocalCentre, sheet: &Path) -> (i32, serde_json::Value, String) {
    gjj_tests::run_gjj(
        centre
            .gjj(gjj_tests::units::EMPLOYER_A)
            .args(["submit", "base-adjustment"])
            .arg(sheet)
            .arg("--json"),
    )
}

#[test]
fn a_slowloris_of_5000_idle_connections_does_not_stop_a_clerks_submit() {
    // Both ends of 5,000 sockets live in this machine: the test's and the gateway's (which raises its own).
    let _ = rlimit::increase_nofile_limit(16_384);
    let gw = gateway(&["max_handshakes = 512"], 0);
    let fixtures = Fixtures::from_env();
    let sheet = base_sheet(&gw.centre, 5);

    // 5,000 half-open connections: half say nothing, half send the start of a ClientHello and stall.
    let addr = gw.centre.addr.clone();
    let mut idle = Vec::with_capacity(5_000);
    for i in 0..5_000 {
        let mut s = TcpStream::connect(&addr).expect("connect (raise ulimit -n if this fails)");
        if i % 2 == 1 {
            // A TLS handshake record header announcing 512 bytes, then nothing.
            let _ = s.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);
        }
        idle.push(s);
    }

    let started = Instant::now();
    let (code, out, err) = submit(&gw.centre, &sheet);
    let took = started.elapsed();
    assert_eq!(
        code, 0,
        "the clerk's submit failed under the slowloris: {out} {err}"
    );
    assert!(
        out["receipt"]["serial"].as_str().is_some_and(|s| s.len() == 15),
        "{out}"
    );
    // Far below the 10 s handshake timeout: the clerk did not wait for stalled handshakes to time out.
    assert!(
        took < Duration::from_secs(8),
        "submit took {took:?} under the slowloris"
    );

    let (status, metrics) = curl_ops(&fixtures, &format!("https://{}/metrics", gw.ops));
    assert_eq!(status, "200");
    let evicted = metrics_value(&metrics, "HANDSHAKE_EVICTED");
    assert!(
        evicted >= 4_000.0,
        "stalled handshakes pushed out: {evicted}\n{metrics}"
    );
    assert!(
        metric(&metrics, "gjj_handshakes_in_flight", &[("listener", "api")]) <= 512.0,
        "{metrics}"
    );
    drop(idle);
}

fn metrics_value(metrics: &str, reason: &str) -> f64 {
    metric(
        metrics,
        "gjj_handshake_failures_total",
        &[("listener", "api"), ("reason", reason)],
    )
}

#[test]
fn connections_beyond_the_cap_are_closed_at_once_and_counted() {
    let gw = gateway(&["max_connections = 50"], 0);
    let fixtures = Fixtures::from_env();
    let held: Vec<TcpStream> = (0..50)
        .map(|_| TcpStream::connect(&gw.centre.addr).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // The 51st is closed by the gateway at once, not left in the backlog.
    let mut extra = TcpStream::connect(&gw.centre.addr).expect("connect");
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut buf = [0u8; 1];
    let read = std::io::Read::read(&mut extra, &mut buf);
    assert!(
        matches!(read, Ok(0)) || read.is_err(),
        "connection over the cap was not closed: {read:?}"
    );
    let (_, metrics) = curl_ops(&fixtures, &format!("https://{}/metrics", gw.ops));
    assert!(
        metric(&metrics, "gjj_connections_refused_total", &[("listener", "api")]) >= 1.0,
        "{metrics}"
    );
    // Once they go, a clerk gets in again.
    drop(held);
    drop(extra);
    std::thread::sleep(Duration::from_millis(300));
    let sheet = base_sheet(&gw.centre, 3);
    let (code, out, err) = submit(&gw.centre, &sheet);
    assert_eq!(code, 0, "{out} {err}");
}

#[test]
fn a_certificate_over_its_rate_gets_429_in_chinese_and_an_audit_event() {
    let gw = gateway(&["rate_per_second = 1", "rate_burst = 3"], 0);
    let fixtures = Fixtures::from_env();
    let credential = gjj_tests::token_credential(&fixtures, gjj_tests::units::EMPLOYER_A);
    let client = gw.centre.raw_client(&credential);
    let url = format!("{}/api/v1/me", gw.centre.url());
    let answers: Vec<(u16, Option<String>, serde_json::Value)> = gjj_tests::runtime().block_on(async {
        let mut out = Vec::new();
        for _ in 0..8 {
            let resp = client.get(&url).send().await.expect("request");
            let status = resp.status().as_u16();
            let retry = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = resp.json().await.unwrap_or(serde_json::Value::Null);
            out.push((status, retry, body));
        }
        out
    });
    let ok = answers.iter().filter(|a| a.0 == 200).count();
    let limited: Vec<_> = answers.iter().filter(|a| a.0 == 429).collect();
    assert!((3..=4).contains(&ok), "burst of 3 (+1 refilled): {answers:?}");
    assert!(!limited.is_empty(), "{answers:?}");
    let (_, retry, body) = limited[0];
    assert_eq!(body["code"], "RATE_LIMITED");
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("请等待")),
        "{body}"
    );
    assert!(retry
        .as_deref()
        .and_then(|r| r.parse::<u64>().ok())
        .is_some_and(|r| r >= 1));

    // The centre can ask who was limited.
    let deadline = Instant::now() + Duration::from_secs(10);
    let events = loop {
        let out = Command::new(bin("gjj-server"))
            .arg("--config")
            .arg(&gw.config)
            .args(["audit", "--json", "--code", "RATE_LIMITED"])
            .env("RUST_LOG", "warn")
            .output()
            .expect("gjj-server audit");
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        if lines.len() == limited.len() || Instant::now() > deadline {
            break lines;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(events.len(), limited.len(), "{events:?}");
    let e = &events[0];
    assert_eq!(e["status"], 429);
    assert_eq!(e["route"], "/api/v1/me");
    assert!(e["unit_account"].as_str().is_some_and(|a| !a.is_empty()), "{e}");
    assert!(e["cert_serial"].as_str().is_some_and(|a| !a.is_empty()), "{e}");
    assert!(e["at"].as_str().is_some_and(|a| a.len() >= 20), "{e}");
}

/// curl with employer A's soft certificate (.pfx), printing only the HTTP status.
fn curl_api(fixtures: &Fixtures, url: &str, extra: &[&str]) -> std::process::Output {
    Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "10",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--cacert",
        ])
        .arg(fixtures.ca_bundle())
        .args(["--cert-type", "P12", "--cert"])
        .arg(format!(
            "{}:{}",
            fixtures.pfx("employer-a-rsa").display(),
            gjj_tests::DEV_PIN
        ))
        .args(extra)
        .arg(url)
        .output()
        .expect("curl")
}

#[test]
fn an_oversized_request_head_is_refused_before_any_handler() {
    let gw = gateway(&["max_header_bytes = 16384"], 0);
    let fixtures = Fixtures::from_env();
    let big = format!("X-Padding: {}", "a".repeat(40 * 1024));
    let out = curl_api(
        &fixtures,
        &format!("{}/api/v1/me", gw.centre.url()),
        &["-H", &big],
    );
    let status = String::from_utf8_lossy(&out.stdout).into_owned();
    // hyper answers 431 and closes; a client still sending the rest of the head may see the close (curl 55/56)
    // before it reads the answer. Either way the request never reached a handler.
    assert!(
        status == "431" || (status == "000" && matches!(out.status.code(), Some(55 | 56))),
        "{status} {:?} {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, metrics) = curl_ops(&fixtures, &format!("https://{}/metrics", gw.ops));
    assert_eq!(
        metric(&metrics, "gjj_requests_total", &[("route", "/api/v1/me")]),
        0.0,
        "{metrics}"
    );
    // The gateway serves the next, ordinary request.
    let ok = curl_api(&fixtures, &format!("{}/api/v1/me", gw.centre.url()), &[]);
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "200");
}

#[test]
fn the_ops_port_answers_without_a_client_certificate_and_readiness_drains_on_sigterm() {
    let mut gw = gateway(&[], 3);
    let fixtures = Fixtures::from_env();
    let ops = gw.ops.clone();
    let (status, body) = curl_ops(&fixtures, &format!("https://{ops}/healthz"));
    assert_eq!((status.as_str(), body.trim()), ("200", "ok"));
    let (status, body) = curl_ops(&fixtures, &format!("https://{ops}/readyz"));
    assert_eq!((status.as_str(), body.trim()), ("200", "ready"));

    // Some traffic, one refusal, then the metrics name them.
    let credential = gjj_tests::token_credential(&fixtures, gjj_tests::units::EMPLOYER_A);
    let client = gw.centre.raw_client(&credential);
    let base = gw.centre.url();
    gjj_tests::runtime().block_on(async {
        for path in ["/api/v1/me", "/api/v1/me", "/api/v1/review/pending"] {
            let _ = client.get(format!("{base}{path}")).send().await.expect("request");
        }
    });
    let (status, metrics) = curl_ops(&fixtures, &format!("https://{ops}/metrics"));
    assert_eq!(status, "200");
    assert!(
        metric(
            &metrics,
            "gjj_requests_total",
            &[("route", "/api/v1/me"), ("status", "200")]
        ) >= 2.0,
        "{metrics}"
    );
    assert!(
        metric(&metrics, "gjj_refusals_total", &[("code", "ROLE_FORBIDDEN")]) >= 1.0,
        "{metrics}"
    );
    assert!(
        metrics.contains("gjj_request_duration_seconds_bucket"),
        "{metrics}"
    );
    assert!(metric(&metrics, "gjj_db_pool_max", &[]) >= 1.0, "{metrics}");
    assert!(
        metric(&metrics, "gjj_crl_next_update_seconds", &[]) > 86_400.0,
        "{metrics}"
    );
    // Nothing in the metrics names a unit or a person.
    assert!(!metrics.contains("衡阳"), "{metrics}");

    // SIGTERM: readiness goes 503 at once while the API still serves during the drain.
    let pid = gw.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(300));
    let (status, body) = curl_ops(&fixtures, &format!("https://{ops}/readyz"));
    assert_eq!((status.as_str(), body.trim()), ("503", "draining"));
    let still = gjj_tests::runtime().block_on(async {
        let fresh = gw.centre.raw_client(&credential);
        fresh
            .get(format!("{base}/api/v1/me"))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    assert_eq!(
        still.as_ref().ok(),
        Some(&200),
        "the API stops only after the drain: {still:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let exited = loop {
        if let Ok(Some(status)) = gw.child.try_wait() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        exited.is_some_and(|s| s.success()),
        "gateway did not exit cleanly after the drain: {exited:?}"
    );
}
