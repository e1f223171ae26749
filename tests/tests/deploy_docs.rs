//! docs/deploy.md is what a centre's IT copies. Its samples are checked by the tools that will read them:
//! HAProxy's own config check, `systemd-analyze verify` for the units, and the gateway itself for gateway.toml.

use std::path::Path;
use std::process::Command;

use gjj_tests::{bin, Fixtures};

/// The fenced blocks of a Markdown file with their info string.
fn blocks(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in markdown.lines() {
        match (line.strip_prefix("```"), current.take()) {
            (Some(info), None) => current = Some((info.trim().to_owned(), String::new())),
            (Some(_), Some(done)) => out.push(done),
            (None, Some((info, mut text))) => {
                text.push_str(line);
                text.push('\n');
                current = Some((info, text));
            }
            (None, None) => {}
        }
    }
    out
}

fn doc() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/deploy.md"))
        .expect("docs/deploy.md")
}

fn block(info: &str, containing: &str) -> String {
    blocks(&doc())
        .into_iter()
        .find(|(i, t)| i == info && t.contains(containing))
        .map(|(_, t)| t)
        .unwrap_or_else(|| panic!("docs/deploy.md has no ```{info} block with {containing:?}"))
}

fn output(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("tool");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn the_sample_haproxy_cfg_passes_haproxys_own_check() {
    let fixtures = Fixtures::from_env();
    let dir = tempfile::tempdir().expect("dir");
    std::fs::copy(fixtures.ca_bundle(), dir.path().join("centre-ca.pem")).expect("ca");
    let cfg = block("haproxy", "backend gateways")
        .replace("ca-base /etc/gjj", &format!("ca-base {}", dir.path().display()));
    let path = dir.path().join("haproxy.cfg");
    std::fs::write(&path, cfg).expect("write");
    let (ok, said) = output(Command::new("haproxy").arg("-c").arg("-f").arg(&path));
    assert!(ok, "haproxy -c: {said}");
    assert!(!said.contains("[WARNING]"), "haproxy -c warns: {said}");
}

#[test]
fn the_sample_systemd_units_pass_systemd_analyze_verify() {
    let dir = tempfile::tempdir().expect("dir");
    let gateway = block("ini", "gjj-gateway.service").replace(
        "/usr/local/bin/gjj-server",
        &bin("gjj-server").display().to_string(),
    );
    let crl = block("ini", "gjj-crl.timer");
    let mut units = vec![("gjj-gateway.service".to_owned(), gateway)];
    // The CRL block holds two units, each after its "# /etc/systemd/system/NAME" line.
    for part in crl
        .split("# /etc/systemd/system/")
        .filter(|p| !p.trim().is_empty())
    {
        let (name, body) = part.split_once('\n').expect("unit name line");
        units.push((name.trim().to_owned(), body.to_owned()));
    }
    assert_eq!(units.len(), 3, "{units:?}");
    for (name, body) in &units {
        std::fs::write(dir.path().join(name), body).expect("write unit");
    }
    for (name, _) in &units {
        let (ok, said) = output(
            Command::new("systemd-analyze")
                .arg("verify")
                .arg(dir.path().join(name))
                .env("SYSTEMD_LOG_LEVEL", "warning"),
        );
        assert!(
            ok && said.trim().is_empty(),
            "systemd-analyze verify {name}: {said}"
        );
    }
}

#[test]
fn the_sample_gateway_toml_is_read_by_the_gateway() {
    let dir = tempfile::tempdir().expect("dir");
    let sample = block("toml", "[ops]");
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("g.sqlite").display());
    let toml: String = sample
        .lines()
        .map(|l| {
            if l.starts_with("database_url") {
                format!("database_url = \"{database}\"")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, toml).expect("write");
    // `seed` reads the whole file (unknown keys are refused) and migrates the database.
    let (ok, said) = output(
        Command::new(bin("gjj-server"))
            .arg("--config")
            .arg(&path)
            .arg("seed")
            .env("RUST_LOG", "warn"),
    );
    assert!(ok, "gjj-server refused the sample gateway.toml: {said}");
}
