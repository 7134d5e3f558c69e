//! compose/docker-compose.yml names the same image, caps, sysctl, environment and volume path as
//! the node image's contract (images/common/README.md).

use serde_yaml::Value;
use std::path::Path;

const REQUIRED_ENV: &[&str] = &[
    "HACHAOS_NODE_NAME",
    "HACHAOS_NODE_ID",
    "HACHAOS_PEER_NAME",
    "HACHAOS_PEER_ID",
    "HACHAOS_INITIAL_ROLE",
    "HACHAOS_VIP",
    "HACHAOS_VIP_PREFIX",
    "HACHAOS_TRUSTED_SERVERS",
    "HACHAOS_DB_PASSWORD",
    "HACHAOS_PCP_PASSWORD",
];

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn compose() -> Value {
    let path = root().join("compose/docker-compose.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut doc: Value = hachaos::loader::from_str(&path.display().to_string(), &text).unwrap();
    doc.apply_merge().unwrap();
    doc
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

fn list(v: &Value) -> Vec<String> {
    v.as_sequence()
        .unwrap_or_else(|| panic!("not a list: {v:?}"))
        .iter()
        .map(s)
        .collect()
}

fn has_managed_labels(v: &Value) {
    assert_eq!(
        s(&v["labels"]["org.hachaos.managed-by"]),
        "hachaos",
        "{v:?}"
    );
    assert!(v["labels"]["org.hachaos.run-id"].is_string(), "{v:?}");
}

#[test]
fn compose_file_is_format_2_4() {
    assert_eq!(s(&compose()["version"]), "2.4");
}

#[test]
fn compose_nodes_follow_the_container_contract() {
    let doc = compose();
    let entrypoint = std::fs::read_to_string(
        root().join("images/common/rootfs/usr/local/bin/hachaos-entrypoint"),
    )
    .unwrap();
    for (name, id, peer, role) in [
        ("node1", "0", "node2", "primary"),
        ("node2", "1", "node1", "standby"),
    ] {
        let node = &doc["services"][name];
        assert!(s(&node["image"]).starts_with("${HACHAOS_IMAGE"), "{name}");
        assert_eq!(s(&node["init"]), "true", "{name}");
        assert_eq!(s(&node["hostname"]), name);
        assert_eq!(list(&node["networks"]["hachaos"]["aliases"]), vec![name]);
        let caps = list(&node["cap_add"]);
        assert!(caps.contains(&"NET_ADMIN".into()) && caps.contains(&"NET_RAW".into()));
        assert!(!caps.iter().any(|c| c == "ALL"), "never privileged");
        assert_eq!(s(&node["sysctls"]["net.ipv4.conf.all.route_localnet"]), "1");
        assert_eq!(s(&node["sysctls"]["net.ipv6.conf.lo.disable_ipv6"]), "0");
        assert_eq!(
            list(&node["volumes"]),
            vec![format!("{name}-data:/var/lib/postgresql/data")]
        );
        for port in ["5432", "9999", "9898", "9000", "9694/udp"] {
            assert!(
                list(&node["expose"]).contains(&port.to_string()),
                "{name} {port}"
            );
        }
        has_managed_labels(node);
        let env = &node["environment"];
        for key in REQUIRED_ENV {
            assert!(!env[*key].is_null(), "{name} lacks {key}");
            assert!(
                entrypoint.contains(key),
                "the entrypoint no longer reads {key}"
            );
        }
        assert_eq!(s(&env["HACHAOS_NODE_NAME"]), name);
        assert_eq!(s(&env["HACHAOS_NODE_ID"]), id);
        assert_eq!(s(&env["HACHAOS_PEER_NAME"]), peer);
        assert_eq!(s(&env["HACHAOS_INITIAL_ROLE"]), role);
        // The default release declares the heartbeat workaround; compose applies it too.
        assert!(
            s(&env["HACHAOS_WORKAROUNDS"]).contains("heartbeat-loopback"),
            "{name}"
        );
    }
}

#[test]
fn compose_network_and_volumes_are_labelled_with_explicit_subnet() {
    let doc = compose();
    let net = &doc["networks"]["hachaos"];
    has_managed_labels(net);
    let ipam = &net["ipam"]["config"][0];
    for key in ["subnet", "ip_range", "gateway"] {
        assert!(s(&ipam[key]).contains("10.199."), "{key}: {:?}", ipam[key]);
    }
    for vol in ["node1-data", "node2-data"] {
        has_managed_labels(&doc["volumes"][vol]);
    }
}

#[test]
fn compose_nodes_get_what_the_harness_gives_its_containers() {
    use hachaos::cluster::{node_container, ClusterSpec, Subnet, Topology};
    let spec = ClusterSpec::two_nodes(
        hachaos::docker::RunId::parse("rcompose").unwrap(),
        "img",
        "/tmp".into(),
    );
    let topo = Topology::within(Subnet::parse("10.77.1.0/24").unwrap(), 2);
    let doc = compose();
    for (i, name) in ["node1", "node2"].iter().enumerate() {
        let harness = node_container(&spec, &topo, i);
        let host = harness.host_config.unwrap();
        let node = &doc["services"][*name];
        let mut caps = list(&node["cap_add"]);
        caps.sort();
        let mut want = host.cap_add.unwrap();
        want.sort();
        assert_eq!(caps, want, "{name}: capabilities");
        let devices: Vec<String> = host
            .devices
            .unwrap_or_default()
            .iter()
            .map(|d| {
                format!(
                    "{}:{}",
                    d.path_on_host.clone().unwrap_or_default(),
                    d.path_in_container.clone().unwrap_or_default()
                )
            })
            .collect();
        assert_eq!(list(&node["devices"]), devices, "{name}: devices");
        assert_eq!(
            list(&node["device_cgroup_rules"]),
            host.device_cgroup_rules.unwrap_or_default(),
            "{name}: device cgroup rules"
        );
        for (key, value) in host.sysctls.unwrap() {
            assert_eq!(
                s(&node["sysctls"][key.as_str()]),
                value,
                "{name}: sysctl {key}"
            );
        }
        assert_eq!(
            s(&node["init"]),
            host.init.unwrap().to_string(),
            "{name}: init"
        );
        assert_eq!(
            s(&node["hostname"]),
            harness.hostname.unwrap(),
            "{name}: hostname"
        );
    }
}
