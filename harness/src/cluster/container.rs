//! How a node container is created: names, labels, addresses, capabilities and environment.
//! Pure functions, so the contract with the image (`images/<release>/README.md`) is unit-tested.

use super::spec::ClusterSpec;
use super::topology::Topology;
use crate::docker::labels_for;
use bollard::models::{
    ContainerCreateBody, DeviceMapping, EndpointIpamConfig, EndpointSettings, HostConfig, Mount,
    MountType, NetworkingConfig,
};
use std::collections::HashMap;

/// The label naming the node a container or volume belongs to.
pub const LABEL_NODE: &str = "org.hachaos.node";
/// The label carrying the VIP on every container of a cluster (for `status` of a kept cluster).
pub const LABEL_VIP: &str = "org.hachaos.vip";

/// Where the node's data volume is mounted. When the node can (see [`loop_disk_access`]), its
/// entrypoint mounts a loop-backed ext4 (`errors=remount-ro`, image file in the volume) over
/// this same path, so PGDATA's path is the same with or without it.
pub const DATA_DIR: &str = "/var/lib/postgresql/data";
/// PGDATA inside the node: a sub-directory of the data volume `/var/lib/postgresql/data` (an
/// ext4 root holds `lost+found`, which initdb refuses).
pub const PGDATA: &str = "/var/lib/postgresql/data/pgdata";
/// The pgpool.conf the node's entrypoint renders at boot (template + override): what its pgpool
/// really runs with (e.g. the heartbeat ports `heartbeat-drop` matches).
pub const PGPOOL_CONF: &str = "/etc/pgpool2/pgpool.conf";
/// The host's loop control device; the node asks it for a free loop device.
pub const LOOP_CONTROL: &str = "/dev/loop-control";
/// Block devices of major 7 (loop): the node creates the node of whichever loop device it is
/// given (`mknod`), since the kernel may hand out a number with no node in the container yet.
pub const LOOP_DEVICE_RULE: &str = "b 7:* rmw";

/// Docker object names of one run.
pub fn network_name(spec: &ClusterSpec) -> String {
    format!("hachaos-{}", spec.run)
}

/// The container name of `node` in this run.
pub fn container_name(spec: &ClusterSpec, node: &str) -> String {
    format!("hachaos-{}-{node}", spec.run)
}

/// The data volume of `node` in this run.
pub fn volume_name(spec: &ClusterSpec, node: &str) -> String {
    format!("hachaos-{}-{node}-data", spec.run)
}

/// Renders settings as `key = value` lines, quoting what is not a number or boolean.
pub fn render_settings(settings: &[(String, String)]) -> String {
    let mut out = String::from("# written by hachaos for this run; later lines win\n");
    for (key, value) in settings {
        let bare = value.parse::<f64>().is_ok()
            || matches!(value.as_str(), "on" | "off" | "true" | "false");
        if bare {
            out.push_str(&format!("{key} = {value}\n"));
        } else {
            out.push_str(&format!("{key} = '{}'\n", value.replace('\'', "''")));
        }
    }
    out
}

/// What the node needs to loop-mount its data disk (PGDATA on an ext4 mounted
/// `errors=remount-ro`, which the `disk-readonly` fault turns read-only in the kernel): the
/// capability to mount, the loop control device, and access to loop block devices. Nothing more:
/// `--privileged` fails on Docker 20.10 here and would hide what the node really needs.
pub fn loop_disk_access() -> (Vec<String>, Vec<DeviceMapping>, Vec<String>) {
    (
        vec!["SYS_ADMIN".into()],
        vec![DeviceMapping {
            path_on_host: Some(LOOP_CONTROL.into()),
            path_in_container: Some(LOOP_CONTROL.into()),
            cgroup_permissions: Some("rwm".into()),
        }],
        vec![LOOP_DEVICE_RULE.into()],
    )
}

/// The sysctls of the workarounds this run applies (only those: a release without the bug runs
/// with Docker's defaults).
pub fn workaround_sysctls(spec: &ClusterSpec) -> HashMap<String, String> {
    let mut sysctls = HashMap::new();
    if spec.applies(crate::release::Workaround::HeartbeatLoopback) {
        // pgpool 4.6.1's heartbeat receiver binds 127.0.0.1; the image redirects peers'
        // heartbeats there, which needs route_localnet (see images/common/README.md).
        sysctls.insert(
            "net.ipv4.conf.all.route_localnet".to_string(),
            "1".to_string(),
        );
        // It binds "localhost", i.e. 127.0.0.1 AND ::1; with IPv6 off on lo the ::1 bind fails
        // and the receiver gives up, so silent peer loss went unnoticed until the watchdog's TCP
        // timeouts (17 s instead of the deadtime).
        sysctls.insert("net.ipv6.conf.lo.disable_ipv6".to_string(), "0".to_string());
    }
    sysctls
}

/// The create request for node `index` of the cluster.
pub fn node_container(spec: &ClusterSpec, topo: &Topology, index: usize) -> ContainerCreateBody {
    let node = &spec.nodes[index];
    let peer_index = (index + 1) % spec.nodes.len();
    let peer = &spec.nodes[peer_index];
    let mut labels = labels_for(&spec.run, spec.keep);
    labels.insert(LABEL_NODE.into(), node.clone());
    labels.insert(LABEL_VIP.into(), topo.vip.to_string());

    let env = [
        ("HACHAOS_NODE_NAME", node.clone()),
        ("HACHAOS_NODE_ID", index.to_string()),
        ("HACHAOS_PEER_NAME", peer.clone()),
        ("HACHAOS_PEER_ID", peer_index.to_string()),
        // Pinned so a stopped peer looks like a silent host, not an unknown name (Docker's DNS
        // forgets a stopped container at once; see images/common/README.md).
        ("HACHAOS_PEER_IP", topo.nodes[peer_index].to_string()),
        (
            "HACHAOS_INITIAL_ROLE",
            if index == 0 { "primary" } else { "standby" }.to_string(),
        ),
        ("HACHAOS_VIP", topo.vip.to_string()),
        ("HACHAOS_VIP_PREFIX", topo.vip_prefix.to_string()),
        (
            "HACHAOS_TRUSTED_SERVERS",
            if spec.trusted_gateway {
                topo.gateway.to_string()
            } else {
                String::new()
            },
        ),
        ("HACHAOS_DB_PASSWORD", spec.secrets.db_password.clone()),
        ("HACHAOS_PCP_PASSWORD", spec.secrets.pcp_password.clone()),
        // The release's workarounds this run applies (the entrypoint acts only on these).
        (
            "HACHAOS_WORKAROUNDS",
            spec.applied_workarounds()
                .iter()
                .map(|w| w.name())
                .collect::<Vec<_>>()
                .join(","),
        ),
    ]
    .into_iter()
    .map(|(k, v)| format!("{k}={v}"))
    .collect();

    let network = network_name(spec);
    let endpoint = EndpointSettings {
        ipam_config: Some(EndpointIpamConfig {
            ipv4_address: Some(topo.nodes[index].to_string()),
            ..Default::default()
        }),
        aliases: Some(vec![node.clone()]),
        ..Default::default()
    };

    // The VIP needs NET_ADMIN (ip addr) and NET_RAW (arping); the data disk needs the rest.
    let (disk_caps, devices, device_rules) = loop_disk_access();
    let mut caps = vec!["NET_ADMIN".to_string(), "NET_RAW".to_string()];
    caps.extend(disk_caps);

    ContainerCreateBody {
        image: Some(spec.image.clone()),
        hostname: Some(node.clone()),
        env: Some(env),
        labels: Some(labels),
        host_config: Some(HostConfig {
            // A real PID 1 that reaps zombies and forwards signals to the entrypoint.
            init: Some(true),
            network_mode: Some(network.clone()),
            // Never --privileged.
            cap_add: Some(caps),
            devices: Some(devices),
            device_cgroup_rules: Some(device_rules),
            sysctls: Some(workaround_sysctls(spec)),
            mounts: Some(vec![Mount {
                target: Some(DATA_DIR.into()),
                source: Some(volume_name(spec, node)),
                typ: Some(MountType::VOLUME),
                ..Default::default()
            }]),
            publish_all_ports: Some(false),
            // A booting cluster yields the CPU to clusters already up (and maybe inside their
            // fault window) on the same machine; `Cluster::up` raises it once ready.
            cpu_shares: Some(BOOT_CPU_SHARES),
            ..Default::default()
        }),
        networking_config: Some(NetworkingConfig {
            endpoints_config: Some(HashMap::from([(network, endpoint)])),
        }),
        ..Default::default()
    }
}

/// A booting node's CPU weight (docker's default is 1024): under contention, a cluster that is
/// booting gets an eighth of what a running one gets, so parallel boots do not stretch another
/// cluster's failover timings. Without contention it changes nothing.
pub const BOOT_CPU_SHARES: i64 = 128;
/// A ready node's CPU weight: docker's default.
pub const RUN_CPU_SHARES: i64 = 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::topology::Subnet;
    use crate::docker::RunId;

    fn spec() -> ClusterSpec {
        ClusterSpec::two_nodes(
            RunId::parse("rtest").unwrap(),
            "hachaos-node:pg17-pgpool46-abc",
            "/tmp/x".into(),
        )
    }

    #[test]
    fn node_containers_carry_labels_fixed_addresses_and_no_privileges() {
        let spec = spec();
        let topo = Topology::within(Subnet::parse("10.77.9.0/24").unwrap(), 2);
        let c = node_container(&spec, &topo, 1);
        let labels = c.labels.as_ref().unwrap();
        assert_eq!(labels["org.hachaos.managed-by"], "hachaos");
        assert_eq!(labels["org.hachaos.run-id"], "rtest");
        assert_eq!(labels[LABEL_NODE], "node2");
        let host = c.host_config.as_ref().unwrap();
        // Booting nodes yield the CPU to running clusters (raised once ready).
        assert_eq!(host.cpu_shares, Some(BOOT_CPU_SHARES));
        assert_eq!(host.privileged, None);
        assert_eq!(host.init, Some(true));
        assert_eq!(
            host.cap_add.as_ref().unwrap(),
            &["NET_ADMIN", "NET_RAW", "SYS_ADMIN"]
        );
        let endpoints = c.networking_config.unwrap().endpoints_config.unwrap();
        let ep = &endpoints["hachaos-rtest"];
        assert_eq!(ep.aliases.as_ref().unwrap(), &["node2"]);
        assert_eq!(
            ep.ipam_config.as_ref().unwrap().ipv4_address.as_deref(),
            Some("10.77.9.12")
        );
        let env = c.env.unwrap();
        assert!(env.contains(&"HACHAOS_INITIAL_ROLE=standby".to_string()));
        assert!(env.contains(&"HACHAOS_PEER_NAME=node1".to_string()));
        assert!(env.contains(&"HACHAOS_PEER_IP=10.77.9.11".to_string()));
        assert!(env.contains(&"HACHAOS_TRUSTED_SERVERS=10.77.9.1".to_string()));
        assert!(env.contains(&"HACHAOS_VIP=10.77.9.100".to_string()));
    }

    #[test]
    fn node_containers_get_exactly_what_a_loop_mounted_data_disk_needs() {
        let spec = spec();
        let topo = Topology::within(Subnet::parse("10.77.9.0/24").unwrap(), 2);
        for index in 0..2 {
            let host = node_container(&spec, &topo, index).host_config.unwrap();
            assert_eq!(host.privileged, None);
            let devices = host.devices.unwrap();
            assert_eq!(
                devices.len(),
                1,
                "only the loop control device: {devices:?}"
            );
            assert_eq!(
                devices[0].path_on_host.as_deref(),
                Some("/dev/loop-control")
            );
            assert_eq!(
                devices[0].path_in_container.as_deref(),
                Some("/dev/loop-control")
            );
            assert_eq!(devices[0].cgroup_permissions.as_deref(), Some("rwm"));
            assert_eq!(host.device_cgroup_rules.unwrap(), ["b 7:* rmw"]);
            assert!(host.cap_add.unwrap().contains(&"SYS_ADMIN".to_string()));
        }
    }

    #[test]
    fn the_data_volume_is_mounted_above_pgdata() {
        let spec = spec();
        let topo = Topology::within(Subnet::parse("10.77.9.0/24").unwrap(), 2);
        let mounts = node_container(&spec, &topo, 0)
            .host_config
            .unwrap()
            .mounts
            .unwrap();
        assert_eq!(mounts.len(), 1);
        assert_eq!(mounts[0].target.as_deref(), Some(DATA_DIR));
        assert_eq!(
            mounts[0].source.as_deref(),
            Some("hachaos-rtest-node1-data")
        );
        assert!(PGDATA.starts_with(&format!("{DATA_DIR}/")));
    }

    #[test]
    fn settings_render_with_quotes_only_where_needed() {
        let text = render_settings(&[
            ("health_check_max_retries".into(), "3".into()),
            ("enable_consensus_with_half_votes".into(), "on".into()),
            ("trusted_servers".into(), "10.0.0.1".into()),
            ("weird".into(), "it's".into()),
        ]);
        assert!(text.contains("health_check_max_retries = 3\n"));
        assert!(text.contains("enable_consensus_with_half_votes = on\n"));
        assert!(text.contains("trusted_servers = '10.0.0.1'\n"));
        assert!(text.contains("weird = 'it''s'\n"));
    }
}
