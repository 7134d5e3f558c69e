//! How a node container is created: names, labels, addresses, capabilities and environment.
//! Pure functions, so the contract with the image (`images/<release>/README.md`) is unit-tested.

use super::spec::ClusterSpec;
use super::topology::Topology;
use crate::docker::labels_for;
use bollard::models::{
    ContainerCreateBody, EndpointIpamConfig, EndpointSettings, HostConfig, Mount, MountType,
    NetworkingConfig,
};
use std::collections::HashMap;

/// The label naming the node a container or volume belongs to.
pub const LABEL_NODE: &str = "org.hachaos.node";
/// The label carrying the VIP on every container of a cluster (for `status` of a kept cluster).
pub const LABEL_VIP: &str = "org.hachaos.vip";

/// Where the image keeps its logs (copied out at teardown).
pub const LOG_DIR: &str = "/var/log/hachaos";
/// PGDATA inside the node.
pub const PGDATA: &str = "/var/lib/postgresql/data";
/// pgpool's port.
pub const PGPOOL_PORT: u16 = 9999;
/// PostgreSQL's port.
pub const POSTGRES_PORT: u16 = 5432;

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
        // forgets a stopped container at once; see images/pg17-pgpool46/README.md).
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

    ContainerCreateBody {
        image: Some(spec.image.clone()),
        hostname: Some(node.clone()),
        env: Some(env),
        labels: Some(labels),
        host_config: Some(HostConfig {
            // A real PID 1 that reaps zombies and forwards signals to the entrypoint.
            init: Some(true),
            network_mode: Some(network.clone()),
            // The VIP needs NET_ADMIN (ip addr) and NET_RAW (arping); never --privileged.
            cap_add: Some(vec!["NET_ADMIN".into(), "NET_RAW".into()]),
            // pgpool 4.6.1's heartbeat receiver binds 127.0.0.1; the image redirects peers'
            // heartbeats there, which needs route_localnet (see images/README.md).
            // pgpool 4.6.1 binds its heartbeat receiver to "localhost", i.e. 127.0.0.1 AND ::1;
            // with IPv6 off on lo the ::1 bind fails and the receiver gives up, so silent peer
            // loss went unnoticed until the watchdog's TCP timeouts (17 s instead of deadtime).
            sysctls: Some(HashMap::from([
                (
                    "net.ipv4.conf.all.route_localnet".to_string(),
                    "1".to_string(),
                ),
                ("net.ipv6.conf.lo.disable_ipv6".to_string(), "0".to_string()),
            ])),
            mounts: Some(vec![Mount {
                target: Some(PGDATA.into()),
                source: Some(volume_name(spec, node)),
                typ: Some(MountType::VOLUME),
                ..Default::default()
            }]),
            publish_all_ports: Some(false),
            ..Default::default()
        }),
        networking_config: Some(NetworkingConfig {
            endpoints_config: Some(HashMap::from([(network, endpoint)])),
        }),
        ..Default::default()
    }
}

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
        assert_eq!(host.privileged, None);
        assert_eq!(host.init, Some(true));
        assert_eq!(host.cap_add.as_ref().unwrap(), &["NET_ADMIN", "NET_RAW"]);
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
