//! A centre of N gateways on one PostgreSQL database behind HAProxy, as a centre deploys it (issue 14).
//!
//! HAProxy runs in TCP mode (TLS passthrough): mutual TLS still ends at each gateway, which must see the unit's
//! certificate itself — terminating TLS at the balancer would hand the gateway a certificate it cannot verify.
//! Each instance listens on a fixed loopback port (and a fixed `[ops]` port) so HAProxy reaches it again after
//! [`Cluster::kill`] + [`Cluster::start_instance`]. HAProxy's health check is `GET /readyz` on the ops port over
//! TLS, verified against the dev CA; a gateway without `[ops]` (older build) gets a plain TCP check instead.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::{bin, fresh_postgres_database, spawn_gateway, Fixtures, GatewayConfig};

/// How a cluster is built.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// Gateway instances (at least 1).
    pub instances: usize,
    /// The gateway binary: the debug one for tests, the release one for load runs.
    pub server_bin: PathBuf,
    /// `[limits] max_body_bytes` of every instance.
    pub max_body_bytes: usize,
    /// `[limits] request_timeout_secs` of every instance.
    pub request_timeout_secs: u64,
    /// More `[limits]` lines (connection and rate limits), `key = value`.
    pub extra_limits: Vec<String>,
    /// Give each instance an `[ops]` port and health-check `/readyz` there.
    pub ops: bool,
}

impl ClusterOptions {
    /// `instances` debug gateways with the test centre's limits and `[ops]` health checks.
    pub fn new(instances: usize) -> ClusterOptions {
        ClusterOptions {
            instances,
            server_bin: bin("gjj-server"),
            max_body_bytes: crate::MAX_BODY_BYTES,
            request_timeout_secs: crate::REQUEST_TIMEOUT_SECS,
            extra_limits: Vec::new(),
            ops: true,
        }
    }
}

struct Instance {
    port: u16,
    ops_port: u16,
    config: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

/// N gateways + HAProxy on one PostgreSQL database. Everything stops on drop.
pub struct Cluster {
    dir: tempfile::TempDir,
    database_url: String,
    server_bin: PathBuf,
    ops: bool,
    instances: Vec<Instance>,
    haproxy: Option<Child>,
    port: u16,
}

/// A free loopback port now. Racy by nature (another process may take it before we bind), but the instances
/// need ports fixed in HAProxy's configuration before they start.
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Cluster {
    /// `instances` debug gateways on a fresh database of the PostgreSQL server at `postgres_server_url`, seeded
    /// with the demo centre once, behind HAProxy; returns when HAProxy reports every instance UP.
    pub fn start(fixtures: &Fixtures, postgres_server_url: &str, instances: usize) -> Result<Cluster> {
        Cluster::start_with(fixtures, postgres_server_url, &ClusterOptions::new(instances))
    }

    /// [`start`](Self::start) with every choice.
    pub fn start_with(
        fixtures: &Fixtures,
        postgres_server_url: &str,
        options: &ClusterOptions,
    ) -> Result<Cluster> {
        if options.instances == 0 {
            bail!("a cluster needs at least one instance");
        }
        let dir = tempfile::Builder::new().prefix("gjj-cluster-").tempdir()?;
        let database_url = fresh_postgres_database(postgres_server_url)?;
        let mut instances = Vec::with_capacity(options.instances);
        for i in 0..options.instances {
            instances.push(Instance {
                port: free_port()?,
                ops_port: free_port()?,
                config: dir.path().join(format!("gateway-{i}.toml")),
                log: dir.path().join(format!("gateway-{i}.log")),
                child: None,
            });
        }
        let mut cluster = Cluster {
            dir,
            database_url,
            server_bin: options.server_bin.clone(),
            ops: options.ops,
            instances,
            haproxy: None,
            port: free_port()?,
        };
        cluster.write_configs(fixtures, options)?;
        cluster.seed(fixtures, options)?;
        for i in 0..cluster.instances.len() {
            cluster.start_instance(i)?;
        }
        cluster.write_haproxy_config(fixtures)?;
        cluster.start_haproxy()?;
        cluster.wait_all_up(Duration::from_secs(30))?;
        Ok(cluster)
    }

    fn write_configs(&self, fixtures: &Fixtures, options: &ClusterOptions) -> Result<()> {
        for inst in &self.instances {
            let mut config = GatewayConfig::new(&format!("127.0.0.1:{}", inst.port), &self.database_url);
            config.max_body_bytes = options.max_body_bytes;
            config.request_timeout_secs = options.request_timeout_secs;
            config.extra_limits = options.extra_limits.clone();
            config.ops_listen = self.ops.then(|| format!("127.0.0.1:{}", inst.ops_port));
            config.write(fixtures, &inst.config)?;
        }
        Ok(())
    }

    /// Seeds the demo centre once, through the first instance's configuration (every instance shares the
    /// database). A gateway that does not know `[ops]` or one of the extra limits yet refuses the file
    /// (deny_unknown_fields): then the cluster runs without them, and says so.
    fn seed(&mut self, fixtures: &Fixtures, options: &ClusterOptions) -> Result<()> {
        let run = |config: &Path| {
            Command::new(&self.server_bin)
                .arg("--config")
                .arg(config)
                .args(["seed", "--demo"])
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .output()
                .with_context(|| format!("running {} seed --demo", self.server_bin.display()))
        };
        let out = run(&self.instances[0].config)?;
        if out.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if !stderr.contains("unknown field") || (!self.ops && options.extra_limits.is_empty()) {
            bail!("gjj-server seed --demo failed: {stderr}");
        }
        eprintln!(
            "cluster: {} refuses [ops] or the extra limits ({}); running without them, HAProxy checks TCP only",
            self.server_bin.display(),
            stderr.lines().last().unwrap_or_default().trim()
        );
        self.ops = false;
        let mut plain = options.clone();
        plain.extra_limits.clear();
        plain.ops = false;
        self.write_configs(fixtures, &plain)?;
        let out = run(&self.instances[0].config)?;
        if !out.status.success() {
            bail!(
                "gjj-server seed --demo failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// Whether the instances serve `[ops]` (health checks on `/readyz`) — false on a gateway without it.
    pub fn has_ops(&self) -> bool {
        self.ops
    }

    fn stats_socket(&self) -> PathBuf {
        self.dir.path().join("haproxy.sock")
    }

    fn write_haproxy_config(&self, fixtures: &Fixtures) -> Result<()> {
        let ca = fixtures.ca_bundle();
        let mut servers = String::new();
        for (i, inst) in self.instances.iter().enumerate() {
            let check = if self.ops {
                // TLS to the ops port, the gateway's own server certificate verified against the dev CA.
                format!(
                    "check port {} check-ssl verify required ca-file {}",
                    inst.ops_port,
                    ca.display()
                )
            } else {
                "check".to_owned()
            };
            servers.push_str(&format!("    server gw{i} 127.0.0.1:{} {check}\n", inst.port));
        }
        let health = if self.ops {
            "    option httpchk GET /readyz\n    http-check expect status 200\n"
        } else {
            ""
        };
        // Timeouts: connect is loopback (short); client/server outlive the gateways' own request timeout so
        // the gateway, not HAProxy, decides when a slow upload is cut off. `retries` + `option redispatch`
        // send a connection that hits a just-killed instance to a live one before the check marks it DOWN.
        // maxconn: each proxied connection holds two descriptors; 4096 fits a default 20,000-file limit.
        // leastconn, not roundrobin: a hall connection is one login that lives for a whole session of
        // requests (a 50,000-row upload or a poll), so spreading by open connections spreads the work.
        let config = format!(
            "global\n    maxconn 4096\n    stats socket {sock} mode 600 level admin\n\n\
             defaults\n    mode tcp\n    timeout connect 2s\n    timeout client 10m\n    timeout server 10m\n    \
             timeout check 2s\n    retries 3\n    option redispatch\n\n\
             frontend hall\n    bind 127.0.0.1:{port}\n    maxconn 4000\n    default_backend gateways\n\n\
             backend gateways\n    balance leastconn\n{health}    default-server inter 500ms fall 2 rise 1 maxconn 2000\n{servers}",
            sock = self.stats_socket().display(),
            port = self.port,
        );
        std::fs::write(self.dir.path().join("haproxy.cfg"), config)?;
        Ok(())
    }

    fn start_haproxy(&mut self) -> Result<()> {
        let log = std::fs::File::create(self.dir.path().join("haproxy.log"))?;
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(self.dir.path().join("haproxy.cfg"))
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting haproxy (Debian package haproxy: cargo xtask deps)")?;
        self.haproxy = Some(child);
        Ok(())
    }

    /// HAProxy's `show stat` on its stats socket: (server name, status) of every gateway.
    pub fn haproxy_states(&self) -> Result<Vec<(String, String)>> {
        let mut sock = UnixStream::connect(self.stats_socket())?;
        sock.set_read_timeout(Some(Duration::from_secs(5)))?;
        sock.write_all(b"show stat\n")?;
        let mut text = String::new();
        sock.read_to_string(&mut text)?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines
            .next()
            .context("empty show stat")?
            .trim_start_matches("# ")
            .split(',')
            .collect();
        let col = |name: &str| header.iter().position(|h| *h == name);
        let (px, sv, st) = (
            col("pxname").context("pxname")?,
            col("svname").context("svname")?,
            col("status").context("status")?,
        );
        Ok(lines
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| f.get(px) == Some(&"gateways") && f.get(sv).is_some_and(|s| s.starts_with("gw")))
            .map(|f| {
                (
                    f[sv].to_owned(),
                    f.get(st).copied().unwrap_or_default().to_owned(),
                )
            })
            .collect())
    }

    fn haproxy_running(&self) -> bool {
        // try_wait needs &mut; /proc says whether the child is still there (a zombie counts as exited).
        self.haproxy.as_ref().is_some_and(|h| {
            std::fs::read_to_string(format!("/proc/{}/stat", h.id()))
                .is_ok_and(|s| s.split(' ').nth(2).is_none_or(|st| st != "Z"))
        })
    }

    /// Waits until HAProxy reports every instance UP.
    pub fn wait_all_up(&self, timeout: Duration) -> Result<()> {
        self.wait_states(timeout, |states| {
            states.len() == self.instances.len() && states.iter().all(|(_, s)| s == "UP")
        })
    }

    /// Waits until HAProxy reports instance `i` as `status` ("UP", "DOWN").
    pub fn wait_instance(&self, i: usize, status: &str, timeout: Duration) -> Result<()> {
        let name = format!("gw{i}");
        self.wait_states(timeout, |states| {
            states.iter().any(|(n, s)| *n == name && s.starts_with(status))
        })
    }

    fn wait_states(&self, timeout: Duration, done: impl Fn(&[(String, String)]) -> bool) -> Result<()> {
        let start = Instant::now();
        let mut last = Err(anyhow::anyhow!("no answer yet"));
        while start.elapsed() < timeout {
            if !self.haproxy_running() {
                let log = std::fs::read_to_string(self.dir.path().join("haproxy.log")).unwrap_or_default();
                bail!("haproxy exited:\n{log}");
            }
            last = self.haproxy_states();
            if let Ok(states) = &last {
                if done(states) {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(self.dir.path().join("haproxy.log")).unwrap_or_default();
        bail!("HAProxy did not reach the expected states within {timeout:?}: {last:?}; haproxy.log:\n{log}")
    }

    /// What clients use: `https://127.0.0.1:<HAProxy port>`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Instance `i` directly, past HAProxy.
    pub fn instance_url(&self, i: usize) -> String {
        format!("https://127.0.0.1:{}", self.instances[i].port)
    }

    /// Instance `i`'s ops port (`/healthz`, `/readyz`, `/metrics`; server authentication only).
    pub fn ops_url(&self, i: usize) -> String {
        format!("https://127.0.0.1:{}", self.instances[i].ops_port)
    }

    /// SIGKILL to instance `i`: no grace, no goodbye to its clients (a crashed or OOM-killed process).
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.instances[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// (Re)starts instance `i` on its own ports.
    pub fn start_instance(&mut self, i: usize) -> Result<()> {
        self.kill(i);
        let inst = &self.instances[i];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&inst.log)?;
        let mut cmd = Command::new(&self.server_bin);
        cmd.arg("--config")
            .arg(&inst.config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log);
        let (child, _) = spawn_gateway(&mut cmd, self.ops)
            .with_context(|| format!("gateway {i} (log: {})", inst.log.display()))?;
        self.instances[i].child = Some(child);
        Ok(())
    }

    /// The process id of instance `i`, while it runs (for its RSS in /proc).
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.instances[i].child.as_ref().map(Child::id)
    }

    /// Number of instances.
    pub fn instances(&self) -> usize {
        self.instances.len()
    }

    /// The sqlx URL of the shared database.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// The cluster's directory: configs, `haproxy.cfg`, the gateways' and HAProxy's logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Connects to the shared database (assertions about what was stored).
    pub async fn db(&self) -> Result<sqlx::AnyPool> {
        sqlx::any::install_default_drivers();
        Ok(sqlx::any::AnyPoolOptions::new()
            .max_connections(2)
            .connect(&self.database_url)
            .await?)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(mut h) = self.haproxy.take() {
            let _ = h.kill();
            let _ = h.wait();
        }
        for i in 0..self.instances.len() {
            self.kill(i);
        }
    }
}
