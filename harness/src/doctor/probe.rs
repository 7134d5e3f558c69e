//! The checks themselves: each looks at the real thing (the engine, PATH, /dev, /sys, a fresh
//! network namespace, the filesystems) within a few seconds and says how to fix what is missing.

use super::check::{requirements, Check, CheckId, Report, Status};
use crate::cluster::{choose_subnet, Subnet};
use crate::faults::FaultKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Free space below which a cluster's volumes cannot be trusted to fit.
const MIN_DOCKER_FREE: u64 = 2 << 30;
/// Free space the image build needs in the temporary directory (a Debian rootfs tarball).
const MIN_TMP_FREE: u64 = 1 << 30;
/// The longest any one external command of a check may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the checks look (the real paths by default; tests point them elsewhere).
#[derive(Clone, Debug)]
pub struct Probe {
    /// The loop control device the nodes are given.
    pub loop_control: PathBuf,
    /// ext4's sysfs directory.
    pub ext4_sysfs: PathBuf,
    /// The release whose image should be there (`None`: skip the image check).
    pub release: Option<String>,
}

impl Default for Probe {
    fn default() -> Self {
        Probe {
            loop_control: PathBuf::from(crate::cluster::LOOP_CONTROL),
            ext4_sysfs: PathBuf::from("/sys/fs/ext4"),
            release: Some(crate::image::DEFAULT_RELEASE.to_string()),
        }
    }
}

/// Runs every check and judges them for the fault kinds in `needed`.
pub async fn diagnose(probe: &Probe, needed: &[FaultKind]) -> Report {
    let all = [
        CheckId::Engine,
        CheckId::Privileges,
        CheckId::Nsenter,
        CheckId::IptablesNetns,
        CheckId::LoopDevices,
        CheckId::Ext4Sysfs,
        CheckId::Subnet,
        CheckId::Disk,
        CheckId::Image,
    ];
    Report::new(run_checks(probe, &all).await, needed)
}

/// The checks a cluster with faults `kinds` needs (not the image: `run` builds it); the ones
/// missing, if any. `run`, `up` and `qualify` refuse to start on any.
pub async fn preflight(probe: &Probe, kinds: &[FaultKind]) -> Result<Vec<Check>, Vec<Check>> {
    let mut ids = CheckId::BASE.to_vec();
    for k in kinds {
        for id in requirements(*k) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    let checks = run_checks(probe, &ids).await;
    let missing: Vec<Check> = checks
        .iter()
        .filter(|c| c.status == Status::Missing)
        .cloned()
        .collect();
    if missing.is_empty() {
        Ok(checks)
    } else {
        Err(missing)
    }
}

/// What the engine said, shared by the checks that need it.
#[derive(Default)]
struct Engine {
    docker: Option<bollard::Docker>,
    rootless: bool,
    root_dir: Option<String>,
}

async fn run_checks(probe: &Probe, ids: &[CheckId]) -> Vec<Check> {
    let mut engine = Engine::default();
    let mut out = Vec::new();
    for id in ids {
        let started = Instant::now();
        let (status, detail, fix) = match id {
            CheckId::Engine => check_engine(&mut engine).await,
            CheckId::Privileges => check_privileges(&engine),
            CheckId::Nsenter => check_tool("nsenter", "apt-get install util-linux"),
            CheckId::IptablesNetns => check_iptables_netns().await,
            CheckId::LoopDevices => check_loop(&probe.loop_control),
            CheckId::Ext4Sysfs => check_ext4(&probe.ext4_sysfs),
            CheckId::Subnet => check_subnet(&engine).await,
            CheckId::Disk => check_disk(&engine),
            CheckId::Image => check_image(&engine, probe.release.as_deref()).await,
        };
        let check = Check {
            id: *id,
            status,
            detail,
            fix: fix.map(str::to_string),
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        tracing::debug!(check = id.name(), status = ?check.status, detail = %check.detail, "doctor check");
        out.push(check);
    }
    out
}

type Outcome = (Status, String, Option<&'static str>);

fn ok(detail: String) -> Outcome {
    (Status::Ok, detail, None)
}

async fn check_engine(engine: &mut Engine) -> Outcome {
    const FIX: &str = "start the Docker daemon (`systemctl start docker`) or point DOCKER_HOST at a reachable engine";
    let docker = match crate::docker::connect().await {
        Ok(d) => d,
        Err(e) => {
            return (
                Status::Missing,
                crate::ErrorChain(&e).to_string(),
                Some(FIX),
            )
        }
    };
    let version = tokio::time::timeout(COMMAND_TIMEOUT, docker.version()).await;
    let info = tokio::time::timeout(COMMAND_TIMEOUT, docker.info()).await;
    let (Ok(Ok(version)), Ok(Ok(info))) = (version, info) else {
        return (
            Status::Missing,
            "the engine did not answer `version`/`info` within 5 s".into(),
            Some(FIX),
        );
    };
    engine.rootless = info
        .security_options
        .unwrap_or_default()
        .iter()
        .any(|o| o.contains("rootless"));
    engine.root_dir = info.docker_root_dir;
    engine.docker = Some(docker.clone());
    let client = docker.client_version();
    ok(format!(
        "Docker {} (API {}, spoken {}.{}), kernel {}",
        version.version.unwrap_or_default(),
        version.api_version.unwrap_or_default(),
        client.major_version,
        client.minor_version,
        version.kernel_version.unwrap_or_default()
    ))
}

fn check_privileges(engine: &Engine) -> Outcome {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        return (
            Status::Missing,
            format!(
                "running as uid {euid}: faults enter node namespaces with nsenter and iptables"
            ),
            Some("run hachaos as root on the Docker host (sudo)"),
        );
    }
    if engine.rootless {
        return (
            Status::Missing,
            "the engine is rootless Docker: nodes cannot loop-mount disks, the host cannot enter their namespaces".into(),
            Some("use a rootful Docker engine (the system daemon)"),
        );
    }
    ok("root, rootful engine".into())
}

/// `name` found in PATH, as an executable file.
pub(crate) fn which(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| {
                std::fs::metadata(p)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
    })
}

fn check_tool(name: &str, fix: &'static str) -> Outcome {
    match which(name) {
        Some(p) => ok(p.display().to_string()),
        None => (Status::Missing, format!("`{name}` not in PATH"), Some(fix)),
    }
}

async fn check_iptables_netns() -> Outcome {
    const FIX: &str = "apt-get install iptables util-linux, as root on a kernel with netfilter (modprobe ip_tables)";
    for tool in ["unshare", "iptables"] {
        if which(tool).is_none() {
            return (Status::Missing, format!("`{tool}` not in PATH"), Some(FIX));
        }
    }
    // The faults run `nsenter -t PID -n iptables ...`: the host's iptables inside a node's
    // network namespace. A fresh namespace of our own is the same test without a node.
    let run = tokio::process::Command::new("unshare")
        .args(["--net", "--", "iptables", "-w", "-S"])
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(COMMAND_TIMEOUT, run).await {
        Ok(Ok(out)) if out.status.success() => ok("iptables -S in a new network namespace".into()),
        Ok(Ok(out)) => (
            Status::Missing,
            format!(
                "`unshare --net iptables -S` failed ({}): {}",
                out.status,
                crate::loader::clip(String::from_utf8_lossy(&out.stderr).trim(), 160)
            ),
            Some(FIX),
        ),
        Ok(Err(e)) => (
            Status::Missing,
            format!("cannot run unshare: {e}"),
            Some(FIX),
        ),
        Err(_) => (
            Status::Missing,
            "`unshare --net iptables -S` did not finish within 5 s".into(),
            Some(FIX),
        ),
    }
}

fn check_loop(path: &Path) -> Outcome {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(path) {
        Ok(m) if m.file_type().is_char_device() => ok(format!("{} is a character device", path.display())),
        Ok(_) => (
            Status::Missing,
            format!("{} is not a character device", path.display()),
            Some("modprobe loop on the Docker host (docker-in-docker: run the outer container with --privileged)"),
        ),
        Err(e) => (
            Status::Missing,
            format!("{}: {}", path.display(), e.to_string().to_lowercase()),
            Some("modprobe loop on the Docker host (docker-in-docker: run the outer container with --privileged)"),
        ),
    }
}

fn check_ext4(dir: &Path) -> Outcome {
    const FIX: &str =
        "modprobe ext4 on the Docker host (a kernel with /sys/fs/ext4/<dev>/trigger_fs_error)";
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (
            Status::Missing,
            format!("{} does not exist", dir.display()),
            Some(FIX),
        );
    };
    let devices: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("errors_count").exists() || p.join("trigger_fs_error").exists())
        .collect();
    match devices.iter().find(|p| p.join("trigger_fs_error").exists()) {
        Some(p) => ok(format!("{} present", p.join("trigger_fs_error").display())),
        // No ext4 mounted right now: the driver is there, the knob cannot be seen yet.
        None if devices.is_empty() => (
            Status::Warn,
            format!(
                "{} present, no ext4 mounted to show trigger_fs_error",
                dir.display()
            ),
            None,
        ),
        None => (
            Status::Missing,
            format!(
                "{} has no trigger_fs_error (kernel too old)",
                devices[0].display()
            ),
            Some(FIX),
        ),
    }
}

async fn check_subnet(engine: &Engine) -> Outcome {
    let Some(docker) = &engine.docker else {
        return (
            Status::Missing,
            "no engine to ask".into(),
            Some("fix `engine` first"),
        );
    };
    let networks = match docker
        .list_networks(None::<bollard::query_parameters::ListNetworksOptions>)
        .await
    {
        Ok(n) => n,
        Err(e) => {
            return (
                Status::Missing,
                format!("list networks: {e}"),
                Some("fix `engine` first"),
            )
        }
    };
    let used: Vec<Subnet> = networks
        .into_iter()
        .flat_map(|n| n.ipam.and_then(|i| i.config).unwrap_or_default())
        .filter_map(|c| c.subnet.as_deref().and_then(Subnet::parse))
        .collect();
    match choose_subnet(&used, 0) {
        Some(s) => ok(format!("{s} free ({} Docker subnet(s) in use)", used.len())),
        None => (
            Status::Missing,
            "every /24 of 10.77.0.0/16 is taken by a Docker network".into(),
            Some("remove unused networks (`docker network prune`) or leftovers (`hachaos clean --stale`)"),
        ),
    }
}

/// Bytes free for unprivileged use on the filesystem holding `path`.
fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes into the struct we pass; `c` is a valid C string.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    Some(s.f_bavail as u64 * s.f_frsize as u64)
}

fn check_disk(engine: &Engine) -> Outcome {
    let root = engine
        .root_dir
        .clone()
        .unwrap_or_else(|| "/var/lib/docker".into());
    let tmp = std::env::temp_dir();
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    let (docker_free, tmp_free) = (free_bytes(Path::new(&root)), free_bytes(&tmp));
    let detail = format!(
        "{root}: {}, {}: {}",
        docker_free.map_or("unknown".into(), |b| format!("{:.1} GiB free", gib(b))),
        tmp.display(),
        tmp_free.map_or("unknown".into(), |b| format!("{:.1} GiB free", gib(b))),
    );
    if docker_free.is_some_and(|b| b < MIN_DOCKER_FREE)
        || tmp_free.is_some_and(|b| b < MIN_TMP_FREE)
    {
        return (
            Status::Missing,
            format!("{detail} (need 2 GiB for Docker, 1 GiB for builds)"),
            Some("free disk space (`docker system prune`, old reports/)"),
        );
    }
    ok(detail)
}

async fn check_image(engine: &Engine, release: Option<&str>) -> Outcome {
    let Some(release) = release else {
        return ok("not checked (no release)".into());
    };
    let Some(docker) = &engine.docker else {
        return (
            Status::Missing,
            "no engine to ask".into(),
            Some("fix `engine` first"),
        );
    };
    let tag = match crate::release::Release::builtin(release) {
        Ok(r) => match &r.image {
            Some(image) => image.clone(),
            None => match crate::image::ImageSource::from_env().load(release) {
                Ok(files) => files.tag(),
                Err(e) => {
                    return (
                        Status::Missing,
                        crate::ErrorChain(&e).to_string(),
                        Some("name a release of images/"),
                    )
                }
            },
        },
        Err(e) => {
            return (
                Status::Missing,
                crate::ErrorChain(&e).to_string(),
                Some("name a release of images/"),
            )
        }
    };
    match docker.inspect_image(&tag).await {
        Ok(i) => ok(format!("{tag} ({})", i.id.unwrap_or_default())),
        Err(_) if which("mmdebstrap").is_some() => (
            Status::Warn,
            format!("{tag} not built yet: the first run builds it (minutes)"),
            Some("build it now: hachaos image build --release <release>"),
        ),
        Err(_) => (
            Status::Missing,
            format!("{tag} not built, and `mmdebstrap` is not in PATH to build it"),
            Some("apt-get install mmdebstrap debian-archive-keyring (or load the image built elsewhere)"),
        ),
    }
}
