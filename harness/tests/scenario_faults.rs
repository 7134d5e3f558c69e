//! Real-container tests of every fault and its heal (`cargo test --features chaos`).
//!
//! They run against throwaway containers of the node image started with `sleep infinity` (no
//! database: what is checked here is that each fault really takes effect and that its heal
//! really undoes it). Every object carries the hachaos labels and is removed at the end, also
//! when a test panics.
#![cfg(feature = "chaos")]

use hachaos::faults::Direction;
use hachaos::faults::{
    inject_verified, DiskFull, DiskReadonly, DiskStall, FaultContext, FaultError, FaultKind,
    FaultSpec, HeartbeatDrop, HostCrash, HostHang, HostPoweroff, HostShutdown, NetworkBlackhole,
    NetworkDelay, NetworkDrop, NetworkLoss, NetworkPartition, NodeHandle,
};
use hachaos::timeline::EventKind;
use std::process::Command;
use std::time::Duration;

const RUN_ID: &str = "manual-scenario";

fn image() -> String {
    std::env::var("HACHAOS_TEST_IMAGE").unwrap_or_else(|_| {
        let out = Command::new("docker")
            .args([
                "images",
                "hachaos-node",
                "--format",
                "{{.Repository}}:{{.Tag}}",
            ])
            .output()
            .expect("docker cli");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .expect("no hachaos-node image: run `hachaos image build` first")
            .to_string()
    })
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("docker cli");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Two sleeping nodes on a labelled network; removed on drop.
struct Lab {
    net: String,
    a: NodeHandle,
    b: NodeHandle,
    gateway: std::net::IpAddr,
}

impl Lab {
    fn new(tag: &str, octet: u8) -> Lab {
        let labels = [
            "--label",
            "org.hachaos.managed-by=hachaos",
            "--label",
            &format!("org.hachaos.run-id={RUN_ID}"),
        ]
        .map(String::from);
        let net = format!("scn-net-{tag}");
        let subnet = format!("10.198.{octet}.0/24");
        let gw = format!("10.198.{octet}.1");
        let mut args = vec!["network", "create", "--subnet", &subnet, "--gateway", &gw];
        args.extend(labels.iter().map(String::as_str));
        args.push(&net);
        docker(&args);
        let mut lab = Lab {
            net: net.clone(),
            a: NodeHandle {
                name: "node1".into(),
                id: 0,
                container: format!("scn-{tag}-node1"),
                address: format!("10.198.{octet}.11").parse().unwrap(),
            },
            b: NodeHandle {
                name: "node2".into(),
                id: 1,
                container: format!("scn-{tag}-node2"),
                address: format!("10.198.{octet}.12").parse().unwrap(),
            },
            gateway: gw.parse().unwrap(),
        };
        let img = image();
        for n in [&lab.a, &lab.b] {
            let ip = n.address.to_string();
            let mut args = vec![
                "run",
                "-d",
                "--name",
                &n.container,
                "--network",
                &net,
                "--ip",
                &ip,
                "--network-alias",
                &n.name,
                "--entrypoint",
                "sleep",
            ];
            args.extend(labels.iter().map(String::as_str));
            args.extend([img.as_str(), "infinity"]);
            docker(&args);
        }
        lab.gateway = gw.parse().unwrap();
        lab
    }

    async fn ctx(&self) -> FaultContext {
        let d = bollard::Docker::connect_with_defaults()
            .unwrap()
            .negotiate_version()
            .await
            .unwrap();
        FaultContext::new(d, self.net.clone(), self.a.clone(), self.gateway)
            .with_peer(self.b.clone())
    }

    fn ping(&self, from: &NodeHandle, to: &str) -> bool {
        Command::new("docker")
            .args(["exec", &from.container, "ping", "-c1", "-W1", "-n", to])
            .output()
            .unwrap()
            .status
            .success()
    }

    fn state(&self, n: &NodeHandle) -> String {
        docker(&["inspect", "-f", "{{.State.Status}}", &n.container])
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in [&self.a.container, &self.b.container] {
            let _ = Command::new("docker").args(["rm", "-f", c]).output();
        }
        let _ = Command::new("docker")
            .args(["network", "rm", &self.net])
            .output();
    }
}

async fn inject_and_heal(lab: &Lab, spec: FaultSpec, after_inject: impl FnOnce(&Lab)) {
    let ctx = lab.ctx().await;
    let fault = spec.fault();
    let injected = inject_verified(fault.as_ref(), &ctx).await.expect("inject");
    assert_eq!(injected.started_event().kind, EventKind::FaultStarted);
    assert_eq!(
        injected.started_event().attrs.get("fault").unwrap(),
        spec.kind().name()
    );
    after_inject(lab);
    let healed = injected.heal(&ctx).await.expect("heal");
    assert_eq!(healed.kind, EventKind::FaultHealed);
    assert_eq!(healed.node, "node1");
}

#[tokio::test]
async fn host_crash_kills_the_node_and_host_start_brings_it_back() {
    let lab = Lab::new("crash", 201);
    inject_and_heal(&lab, FaultSpec::HostCrash(HostCrash {}), |l| {
        assert_eq!(l.state(&l.a), "exited")
    })
    .await;
    assert_eq!(lab.state(&lab.a), "running");
}

#[tokio::test]
async fn host_shutdown_stops_the_node_within_its_grace_period() {
    let lab = Lab::new("stop", 202);
    let spec = FaultSpec::HostShutdown(HostShutdown {
        grace: Duration::from_secs(1),
    });
    inject_and_heal(&lab, spec, |l| assert_eq!(l.state(&l.a), "exited")).await;
    assert_eq!(lab.state(&lab.a), "running");
}

#[tokio::test]
async fn host_poweroff_kills_the_node_and_host_start_gives_it_a_clean_network() {
    let lab = Lab::new("poweroff", 203);
    inject_and_heal(&lab, FaultSpec::HostPoweroff(HostPoweroff {}), |l| {
        assert_eq!(l.state(&l.a), "exited")
    })
    .await;
    assert!(
        lab.ping(&lab.b, &lab.a.address.to_string()),
        "reachable after host-start"
    );
}

#[tokio::test]
async fn host_hang_pauses_the_node_and_host_resume_unpauses_it() {
    let lab = Lab::new("hang", 204);
    inject_and_heal(&lab, FaultSpec::HostHang(HostHang {}), |l| {
        assert_eq!(l.state(&l.a), "paused")
    })
    .await;
    assert_eq!(lab.state(&lab.a), "running");
}

#[tokio::test]
async fn network_drop_disconnects_and_network_restore_reconnects_with_the_same_address() {
    let lab = Lab::new("drop", 205);
    inject_and_heal(&lab, FaultSpec::NetworkDrop(NetworkDrop {}), |l| {
        assert!(!l.ping(&l.b, &l.a.address.to_string()));
    })
    .await;
    let ip = docker(&[
        "inspect",
        "-f",
        &format!(
            "{{{{(index .NetworkSettings.Networks \"{}\").IPAddress}}}}",
            lab.net
        ),
        &lab.a.container,
    ]);
    assert_eq!(ip, lab.a.address.to_string());
    let aliases = docker(&[
        "inspect",
        "-f",
        &format!(
            "{{{{json (index .NetworkSettings.Networks \"{}\").Aliases}}}}",
            lab.net
        ),
        &lab.a.container,
    ]);
    assert!(
        aliases.contains("\"node1\""),
        "aliases after restore: {aliases}"
    );
    // The embedded DNS learns the endpoint asynchronously: give it a moment.
    let mut ok = false;
    for _ in 0..10 {
        ok = lab.ping(&lab.b, "node1");
        if ok {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(ok, "the alias resolves again");
}

#[tokio::test]
async fn network_blackhole_drops_everything_and_its_removal_restores_traffic() {
    let lab = Lab::new("blackhole", 206);
    inject_and_heal(
        &lab,
        FaultSpec::NetworkBlackhole(NetworkBlackhole {}),
        |l| {
            assert!(!l.ping(&l.b, &l.a.address.to_string()));
            assert!(l.ping(&l.a, "127.0.0.1"), "loopback still works");
        },
    )
    .await;
    assert!(lab.ping(&lab.b, &lab.a.address.to_string()));
    assert!(lab.ping(&lab.a, &lab.gateway.to_string()));
}

#[tokio::test]
async fn network_partition_cuts_node_from_peer_but_not_from_the_gateway() {
    let lab = Lab::new("partition", 207);
    let spec = FaultSpec::NetworkPartition(NetworkPartition {
        direction: Direction::Both,
    });
    inject_and_heal(&lab, spec, |l| {
        assert!(!l.ping(&l.b, &l.a.address.to_string()));
        assert!(l.ping(&l.b, &l.gateway.to_string()));
        assert!(l.ping(&l.a, &l.gateway.to_string()));
    })
    .await;
    assert!(lab.ping(&lab.b, &lab.a.address.to_string()));
    assert!(lab.ping(&lab.a, &lab.b.address.to_string()));
}

#[tokio::test]
async fn disk_readonly_refuses_a_node_without_loop_backed_pgdata_and_changes_nothing() {
    let lab = Lab::new("disk", 208);
    let ctx = lab.ctx().await;
    let err = inject_verified(
        FaultSpec::DiskReadonly(DiskReadonly {}).fault().as_ref(),
        &ctx,
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        FaultError::Precheck {
            kind: FaultKind::DiskReadonly,
            ..
        }
    ));
    assert!(
        err.to_string()
            .contains("pgdata is not on a loop-backed ext4"),
        "{err}"
    );
    assert_eq!(lab.state(&lab.a), "running");
}

/// The hachaos chains in a node's filter table (`iptables -S` in its network namespace, from
/// the host: the sleeping node has no NET_ADMIN of its own).
fn hachaos_rules(n: &NodeHandle) -> String {
    hachaos_rules_in(n, "filter")
}

/// The hachaos chains in one table of a node.
fn hachaos_rules_in(n: &NodeHandle, table: &str) -> String {
    let pid = docker(&["inspect", "-f", "{{.State.Pid}}", &n.container]);
    let out = Command::new("nsenter")
        .args(["-t", &pid, "-n", "iptables", "-w", "-t", table, "-S"])
        .output()
        .expect("nsenter");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = String::from_utf8_lossy(&out.stdout).to_string();
    out.lines()
        .filter(|l| l.contains("hachaos"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn disk_stall_and_disk_full_refuse_a_node_without_its_own_data_filesystem() {
    // A sleeping node has no loop-mounted data disk: PGDATA would be on the Docker volume (the
    // host's disk), which neither fault may freeze or fill.
    let lab = Lab::new("diskhalf", 209);
    let ctx = lab.ctx().await;
    for (spec, kind) in [
        (
            FaultSpec::DiskStall(DiskStall::default()),
            FaultKind::DiskStall,
        ),
        (FaultSpec::DiskFull(DiskFull {}), FaultKind::DiskFull),
    ] {
        let err = inject_verified(spec.fault().as_ref(), &ctx)
            .await
            .unwrap_err();
        assert!(
            matches!(err, FaultError::Precheck { kind: k, .. } if k == kind),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("pgdata has no filesystem of its own"),
            "{err}"
        );
    }
    assert_eq!(lab.state(&lab.a), "running");
}

#[tokio::test]
async fn network_loss_drops_a_share_of_packets_and_its_removal_leaves_no_rule() {
    let lab = Lab::new("loss", 210);
    let spec = FaultSpec::NetworkLoss(NetworkLoss {
        loss: "50%".parse().unwrap(),
        direction: Direction::Both,
    });
    inject_and_heal(&lab, spec, |l| {
        let rules = hachaos_rules(&l.a);
        assert!(rules.contains("statistic"), "{rules}");
        assert!(rules.contains("0.500000"), "{rules}");
        // Loss, not a cut: an echo comes back with probability 0.5 x 0.5 = 0.25, so among 80
        // none does with probability 0.75^80 = 1e-10. (With 20 echoes that was 0.75^20 = 0.3 %:
        // a CI dry run of 2026-11-30 drew it, "20 packets transmitted, 0 received".)
        let out = Command::new("docker")
            .args([
                "exec",
                &l.a.container,
                "ping",
                "-q",
                "-n",
                "-i",
                "0.02",
                "-W",
                "1",
                "-c",
                "80",
                &l.gateway.to_string(),
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains(" 0 received"), "{text}");
    })
    .await;
    assert_eq!(hachaos_rules(&lab.a), "");
    assert!(lab.ping(&lab.a, &lab.gateway.to_string()));
}

#[tokio::test]
async fn network_loss_with_a_named_peer_drops_only_at_the_receivers() {
    let lab = Lab::new("losspeer", 211);
    let mut ctx = lab.ctx().await;
    ctx.peer_named = true;
    let fault = FaultSpec::NetworkLoss(NetworkLoss {
        loss: "40%".parse().unwrap(),
        direction: Direction::Both,
    })
    .fault();
    let injected = inject_verified(fault.as_ref(), &ctx).await.expect("inject");
    for n in [&lab.a, &lab.b] {
        let rules = hachaos_rules(n);
        assert!(
            rules.contains("-A hachaos-loss-in -s"),
            "{}: {rules}",
            n.name
        );
        assert!(
            !rules.contains("-A hachaos-loss-out"),
            "{}: {rules}",
            n.name
        );
    }
    // The gateway is not on the lossy link.
    assert!(lab.ping(&lab.a, &lab.gateway.to_string()));
    injected.heal(&ctx).await.expect("heal");
    assert_eq!(hachaos_rules(&lab.a), "");
    assert_eq!(hachaos_rules(&lab.b), "");
}

#[tokio::test]
async fn heartbeat_drop_refuses_a_node_whose_pgpool_has_no_heartbeat_life_check() {
    // A sleeping node never rendered its pgpool.conf (the packaged one, if any, runs without
    // the watchdog): there are no heartbeats to drop, and nothing is installed.
    let lab = Lab::new("hb", 212);
    let ctx = lab.ctx().await;
    let err = inject_verified(
        FaultSpec::HeartbeatDrop(HeartbeatDrop::default())
            .fault()
            .as_ref(),
        &ctx,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            FaultError::Precheck {
                kind: FaultKind::HeartbeatDrop,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(hachaos_rules(&lab.a), "");
    assert_eq!(hachaos_rules(&lab.b), "");
}

/// Round trips (ms) of `ping -U` (user-to-user time: plain ping times a reply by its receive
/// timestamp, before the INPUT hook holds it) from `from` to `to`.
fn ping_ms(from: &NodeHandle, to: &str) -> Vec<f64> {
    let out = Command::new("docker")
        .args([
            "exec",
            &from.container,
            "ping",
            "-U",
            "-n",
            "-c",
            "3",
            "-i",
            "0.2",
            "-w",
            "5",
            to,
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("time="))
        .filter_map(|v| v.parse().ok())
        .collect()
}

/// PIDs of the delayers working in the namespace of `n`'s container.
fn delayers(n: &NodeHandle) -> Vec<String> {
    let pid = docker(&["inspect", "-f", "{{.State.Pid}}", &n.container]);
    let out = Command::new("ps")
        .args(["-eo", "pid=,args="])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("__net-delayer") && l.contains(&format!("--netns-pid {pid} ")))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn network_delay_holds_every_packet_and_its_heal_leaves_no_rule_and_no_delayer() {
    let lab = Lab::new("delay", 212);
    let gw = lab.gateway.to_string();
    let spec = FaultSpec::NetworkDelay(NetworkDelay {
        delay: Duration::from_millis(150),
        jitter: Duration::ZERO,
        direction: Direction::Both,
    });
    inject_and_heal(&lab, spec, |l| {
        let rules = hachaos_rules_in(&l.a, "mangle");
        assert!(
            rules
                .contains("-A hachaos-delay-in ! -i lo -j NFQUEUE --queue-num 4242 --queue-bypass"),
            "{rules}"
        );
        assert!(
            rules.contains("-A hachaos-delay-out ! -o lo -j NFQUEUE"),
            "{rules}"
        );
        assert_eq!(delayers(&l.a).len(), 1);
        // Held once each way: a round trip takes at least twice the delay.
        let rtt = ping_ms(&l.a, &gw);
        assert!(rtt.len() == 3 && rtt.iter().all(|t| *t >= 300.0), "{rtt:?}");
        // The other node is not delayed on its own links (only by node1's rules).
        let rtt = ping_ms(&l.b, &gw);
        assert!(rtt.iter().all(|t| *t < 150.0), "{rtt:?}");
    })
    .await;
    assert_eq!(hachaos_rules_in(&lab.a, "mangle"), "");
    assert!(delayers(&lab.a).is_empty());
    let rtt = ping_ms(&lab.a, &gw);
    assert!(rtt.len() == 3 && rtt.iter().all(|t| *t < 150.0), "{rtt:?}");
}

#[tokio::test]
async fn network_delay_with_a_named_peer_delays_only_that_link_and_one_way() {
    let lab = Lab::new("delaypeer", 213);
    let mut ctx = lab.ctx().await;
    ctx.peer_named = true;
    let fault = FaultSpec::NetworkDelay(NetworkDelay {
        delay: Duration::from_millis(200),
        jitter: Duration::from_millis(20),
        direction: Direction::Outbound,
    })
    .fault();
    let injected = inject_verified(fault.as_ref(), &ctx).await.expect("inject");
    let rules = hachaos_rules_in(&lab.a, "mangle");
    assert!(
        rules.contains(&format!(
            "-A hachaos-delay-out -d {}/32 -j NFQUEUE",
            lab.b.address
        )),
        "{rules}"
    );
    assert!(!rules.contains("-A hachaos-delay-in "), "{rules}");
    let to_peer = ping_ms(&lab.a, &lab.b.address.to_string());
    assert!(
        to_peer.len() == 3 && to_peer.iter().all(|t| *t >= 180.0 && *t < 380.0),
        "{to_peer:?}"
    );
    let to_gw = ping_ms(&lab.a, &lab.gateway.to_string());
    assert!(to_gw.iter().all(|t| *t < 150.0), "{to_gw:?}");
    injected.heal(&ctx).await.expect("heal");
    assert_eq!(hachaos_rules_in(&lab.a, "mangle"), "");
    assert!(delayers(&lab.a).is_empty());
}

#[tokio::test]
async fn a_killed_delayer_lets_traffic_pass_and_the_heal_still_cleans_up() {
    let lab = Lab::new("delaykill", 214);
    let ctx = lab.ctx().await;
    let fault = FaultSpec::NetworkDelay(NetworkDelay::default()).fault();
    let injected = inject_verified(fault.as_ref(), &ctx).await.expect("inject");
    let pids = delayers(&lab.a);
    assert_eq!(pids.len(), 1);
    docker_free_kill(&pids[0]);
    // --queue-bypass: with no listener the rules let packets through, undelayed.
    let rtt = ping_ms(&lab.a, &lab.gateway.to_string());
    assert!(rtt.len() == 3 && rtt.iter().all(|t| *t < 150.0), "{rtt:?}");
    assert!(hachaos_rules_in(&lab.a, "mangle").contains("NFQUEUE"));
    injected.heal(&ctx).await.expect("heal");
    assert_eq!(hachaos_rules_in(&lab.a, "mangle"), "");
}

/// SIGKILLs a host process by PID.
fn docker_free_kill(pid: &str) {
    let st = Command::new("kill").args(["-9", pid]).status().unwrap();
    assert!(st.success());
    std::thread::sleep(Duration::from_millis(300));
}
