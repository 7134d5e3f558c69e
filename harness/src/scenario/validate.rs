//! `ScenarioSpec` → `Plan`: every check that can be made before a container exists.
//!
//! Decision on faults a file leaves open: the plan appends their heals at the end (in reverse
//! order, like unwinding) as [`StepOrigin::ImplicitHeal`] steps and records a warning. The plan
//! thus says exactly what the executor will do; the executor still heals whatever is open on
//! failure, timeout or Ctrl-C.

use super::error::{PlanError, PlanErrors};
use super::locate::{Locator, YamlPath};
use super::plan::{Action, Budgets, Expectation, Observation, Plan, Step, StepOrigin};
use super::spec::{
    ConfigValueSpec, Damage, ExpectSpec, NodeRole, ScenarioSpec, StepSpec, VipSpec, WriteOutcome,
};
use super::step::ActionSpec;
use super::target::Target;
use crate::faults::{FaultKind, PeerUse};
use crate::timeline::EventKind;
use sha2::Digest;
use std::path::Path;
use std::sync::Arc;

/// The most cases a `matrix:` may make (each case boots a cluster for about a minute).
pub const MAX_MATRIX_CASES: usize = 256;

/// What the cluster and the log grammar can do, as far as validation needs to know.
#[derive(Clone)]
pub struct Capabilities {
    /// The cluster's node names.
    pub nodes: Vec<String>,
    /// Known releases; `None` accepts any name (the cluster checks it later).
    pub releases: Option<Vec<String>>,
    events: EventFilter,
}

/// Answers "can the grammar of release R produce event K".
type EventFilter = Arc<dyn Fn(&str, EventKind) -> bool + Send + Sync>;

/// Events only the harness itself records; no log of any release produces them, so expecting
/// them in a `log` expectation is a mistake.
pub const HARNESS_ONLY_EVENTS: &[EventKind] = &[
    EventKind::FaultStarted,
    EventKind::FaultHealed,
    EventKind::TargetResolved,
];

impl Default for Capabilities {
    /// Two nodes `node1`, `node2`, any release, every event but the harness-only ones.
    fn default() -> Self {
        Capabilities {
            nodes: vec!["node1".into(), "node2".into()],
            releases: None,
            events: Arc::new(|_, k| !HARNESS_ONLY_EVENTS.contains(&k)),
        }
    }
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capabilities")
            .field("nodes", &self.nodes)
            .field("releases", &self.releases)
            .finish_non_exhaustive()
    }
}

impl Capabilities {
    /// Only these events can be produced (whatever the release).
    pub fn with_events(mut self, kinds: &[EventKind]) -> Self {
        let kinds = kinds.to_vec();
        self.events = Arc::new(move |_, k| kinds.contains(&k));
        self
    }

    /// Asks `f(release, kind)` whether a release's grammar can produce an event.
    pub fn with_event_filter(
        mut self,
        f: impl Fn(&str, EventKind) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.events = Arc::new(f);
        self
    }

    /// Whether the grammar of `release` can produce `kind`.
    pub fn can_produce(&self, release: &str, kind: EventKind) -> bool {
        (self.events)(release, kind)
    }
}

/// Reads and validates a scenario file.
pub fn load_path(path: &Path, caps: &Capabilities) -> Result<Plan, PlanErrors> {
    let file = path.display().to_string();
    let text = crate::loader::read_text(path).map_err(|e| PlanErrors(vec![e.into()]))?;
    load(&file, &text, caps)
}

/// Parses and validates scenario text (`file` names it in messages and in the plan).
pub fn load(file: &str, text: &str, caps: &Capabilities) -> Result<Plan, PlanErrors> {
    let spec: ScenarioSpec =
        crate::loader::from_str(file, text).map_err(|e| PlanErrors(vec![e.into()]))?;
    validate(file, text, &spec, caps)
}

/// Validates a parsed spec; `text` is only used to find lines.
pub fn validate(
    file: &str,
    text: &str,
    spec: &ScenarioSpec,
    caps: &Capabilities,
) -> Result<Plan, PlanErrors> {
    let mut v = Validator {
        step_has_target: false,
        file,
        text,
        locator: Locator::new(text),
        caps,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let plan = v.plan(spec);
    if v.errors.is_empty() {
        let mut plan = plan;
        plan.warnings = v.warnings;
        Ok(plan)
    } else {
        Err(PlanErrors(v.errors))
    }
}

struct Validator<'a> {
    /// Whether the step being checked acts on a node (so `target` is usable in expectations).
    step_has_target: bool,
    file: &'a str,
    text: &'a str,
    /// Where each node of `text` is (built once: lookups per step stay linear).
    locator: Locator,
    caps: &'a Capabilities,
    errors: Vec<PlanError>,
    warnings: Vec<String>,
}

/// A background `recover` not yet awaited, while walking the steps.
struct Running {
    /// Its index among the plan's steps.
    step: usize,
    line: usize,
    path: YamlPath,
}

/// A fault injected and not yet healed, while walking the steps.
struct Open {
    step: usize,
    kind: FaultKind,
    target: Target,
    line: usize,
}

/// An open fault that stops a service `kind` needs on `target`, when the validator can know it:
/// both name the same node (a role may be played by another node by the time the step fires).
fn stopped_under<'a>(
    open: &'a [Open],
    kind: FaultKind,
    target: &Target,
) -> Option<(&'a Open, crate::faults::Service)> {
    if !matches!(target, Target::Node(_)) {
        return None;
    }
    open.iter().filter(|o| &o.target == target).find_map(|o| {
        kind.row()
            .needs_running
            .iter()
            .find(|s| o.kind.row().stops.contains(s))
            .map(|s| (o, *s))
    })
}

impl Validator<'_> {
    fn line(&self, path: &YamlPath) -> usize {
        self.locator.get(path).map(|(l, _)| l).unwrap_or(0)
    }

    fn err(&mut self, path: &YamlPath, value: Option<String>, message: impl Into<String>) {
        let loc = self.locator.get(path);
        self.errors.push(PlanError {
            file: self.file.to_string(),
            line: loc.map(|l| l.0),
            column: loc.map(|l| l.1),
            path: path.to_string(),
            value,
            message: message.into(),
        });
    }

    fn plan(&mut self, spec: &ScenarioSpec) -> Plan {
        let root = YamlPath::root();
        let name = spec.name.clone().unwrap_or_else(|| {
            Path::new(self.file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| self.file.to_string())
        });
        if name.trim().is_empty() {
            self.err(&root.key("name"), None, "empty name");
        }
        let release = self.release(spec);
        let mut config = std::collections::BTreeMap::new();
        for (key, value) in &spec.config {
            if let Some(text) = self.config_value(&root.key("config").key(key), key, value) {
                config.insert(key.clone(), text);
            }
        }
        let mut matrix = Vec::new();
        for (key, values) in &spec.matrix {
            let path = root.key("matrix").key(key);
            if spec.config.contains_key(key) {
                self.err(
                    &path,
                    Some(key.clone()),
                    format!("`{key}` is both in config and in matrix: keep one"),
                );
                continue;
            }
            if values.is_empty() {
                self.err(&path, None, format!("`{key}` lists no values"));
                continue;
            }
            let rendered: Vec<String> = values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| self.config_value(&path.index(i), key, v))
                .collect();
            if rendered.len() == values.len() {
                matrix.push((key.clone(), rendered));
            }
        }
        let cases = matrix
            .iter()
            .try_fold(1usize, |n, (_, values)| n.checked_mul(values.len()));
        if cases.is_none_or(|n| n > MAX_MATRIX_CASES) {
            let n = cases.map_or_else(|| format!("more than {}", usize::MAX), |n| n.to_string());
            self.err(
                &root.key("matrix"),
                None,
                format!("the matrix makes {n} cases: at most {MAX_MATRIX_CASES} are allowed"),
            );
            matrix.clear();
        }
        let b = &spec.budgets;
        let budgets = Budgets {
            detect: b.detect.map(|d| d.0),
            node_down: b.node_down.map(|d| d.0),
            failover_start: b.failover_start.map(|d| d.0),
            vip: b.vip.map(|d| d.0),
            promote: b.promote.map(|d| d.0),
            failover_done: b.failover_done.map(|d| d.0),
            recover: b.recover.map(|d| d.0),
            old_primary_acks: b.old_primary_acks.map(|d| d.0),
            two_primaries: b.two_primaries.map(|d| d.0),
            two_vip_holders: b.two_vip_holders.map(|d| d.0),
            vip_outage: b.vip_outage.map(|d| d.0),
        };
        let mut damage = spec.expected_damage.clone();
        damage.sort();
        damage.dedup();

        let known_bug = self.known_bug(spec);
        let steps = self.steps(spec, &release, &damage);
        Plan {
            file: self.file.to_string(),
            sha256: hex::encode(sha2::Sha256::digest(self.text.as_bytes())),
            name,
            description: spec.description.trim().to_string(),
            release: release.clone(),
            config,
            matrix,
            budgets,
            expected_damage: damage,
            steps,
            known_bug,
            warnings: Vec::new(),
        }
    }

    /// The release the scenario names (`release:`, or the deprecated `profile:` where `pgpool`
    /// meant the default release), checked against the known ones; the default release if none.
    fn release(&mut self, spec: &ScenarioSpec) -> String {
        let root = YamlPath::root();
        let (key, written) = match (&spec.release, &spec.profile) {
            (Some(_), Some(_)) => {
                self.err(
                    &root.key("profile"),
                    None,
                    "`profile` is the old spelling of `release`: keep only `release`",
                );
                ("release", spec.release.clone())
            }
            (Some(r), None) => ("release", Some(r.clone())),
            (None, Some(p)) => {
                let line = self.line(&root.key("profile"));
                self.warnings.push(format!(
                    "{}:{line}: `profile:` is deprecated: write `release:` (a folder of images/)",
                    self.file
                ));
                let p = if p == "pgpool" {
                    crate::release::DEFAULT_RELEASE.to_string()
                } else {
                    p.clone()
                };
                ("profile", Some(p))
            }
            (None, None) => ("release", None),
        };
        let release = written.unwrap_or_else(|| crate::release::DEFAULT_RELEASE.to_string());
        if let Some(known) = &self.caps.releases {
            if !known.contains(&release) {
                let shown = match key {
                    "profile" => spec.profile.clone(),
                    _ => spec.release.clone(),
                };
                self.err(
                    &root.key(key),
                    shown,
                    format!("unknown release `{release}` (known: {})", known.join(", ")),
                );
            }
        }
        release
    }

    /// `known_bug:`: releases must exist (a scenario expecting a release nobody can build is
    /// refused), a fix names its release-note line, and `when_bug` needs a known bug.
    fn known_bug(&mut self, spec: &ScenarioSpec) -> Option<super::known_bug::KnownBug> {
        let root = YamlPath::root();
        let Some(k) = &spec.known_bug else {
            for (i, step) in spec.steps.iter().enumerate() {
                for (j, e) in step.expect.iter().enumerate() {
                    if e.when_bug.is_some() {
                        self.err(
                            &root
                                .key("steps")
                                .index(i)
                                .key("expect")
                                .index(j)
                                .key("when_bug"),
                            None,
                            "`when_bug` needs a `known_bug:` section (which releases have the bug)",
                        );
                    }
                }
            }
            return None;
        };
        let path = root.key("known_bug");
        let before = self.errors.len();
        if k.id.trim().is_empty() || k.id.contains(char::is_whitespace) {
            self.err(
                &path.key("id"),
                Some(k.id.clone()),
                "a short id without spaces",
            );
        }
        if k.fixed_in.is_some()
            && k.release_note
                .as_deref()
                .is_none_or(|n| n.trim().is_empty())
        {
            self.err(
                &path.key("release_note"),
                None,
                "a fixed bug names the release-note line of its fix",
            );
        }
        let known = crate::release::ImageSource::from_env()
            .releases()
            .unwrap_or_default();
        for (i, r) in k.present_on.iter().enumerate() {
            if !known.contains(r) {
                self.err(
                    &path.key("present_on").index(i),
                    Some(r.clone()),
                    format!("unknown release `{r}` (known: {})", known.join(", ")),
                );
            }
        }
        (self.errors.len() == before).then(|| super::known_bug::KnownBug {
            id: k.id.clone(),
            summary: k.summary.trim().to_string(),
            fixed_in: k.fixed_in.clone(),
            release_note: k.release_note.clone(),
            present_on: k.present_on.clone(),
            without_workarounds: k.without_workarounds.clone(),
            start_when_serving: k.start_when_serving,
            prevents_failover: k.prevents_failover,
        })
    }

    fn config_value(
        &mut self,
        path: &YamlPath,
        key: &str,
        value: &ConfigValueSpec,
    ) -> Option<String> {
        let Some((_, ty)) = PGPOOL_SETTINGS.iter().find(|(k, _)| *k == key) else {
            self.err(
                path,
                Some(key.to_string()),
                format!("unknown pgpool setting `{key}` (see faults/README.md for the known ones)"),
            );
            return None;
        };
        let shown = match value {
            ConfigValueSpec::Bool(b) => b.to_string(),
            ConfigValueSpec::Int(i) => i.to_string(),
            ConfigValueSpec::Text(t) => t.clone(),
        };
        let rendered = match (ty, value) {
            (Setting::Bool, ConfigValueSpec::Bool(b)) => Some(on_off(*b)),
            (Setting::Bool, ConfigValueSpec::Text(t)) => match t.as_str() {
                "on" | "yes" | "true" => Some(on_off(true)),
                "off" | "no" | "false" => Some(on_off(false)),
                _ => None,
            },
            (Setting::Int, ConfigValueSpec::Int(i)) if *i >= 0 => Some(i.to_string()),
            (Setting::Text, ConfigValueSpec::Text(t)) => Some(t.clone()),
            (Setting::Text, ConfigValueSpec::Int(i)) => Some(i.to_string()),
            (Setting::TrustedServers, ConfigValueSpec::Text(t)) => trusted_servers(t),
            _ => None,
        };
        if rendered.is_none() {
            let want = match ty {
                Setting::Bool => "on or off",
                Setting::Int => "a non-negative integer",
                Setting::Text => "a string",
                Setting::TrustedServers => {
                    "`gateway`, `none` or comma-separated addresses (e.g. `10.198.0.1`)"
                }
            };
            self.err(
                path,
                Some(shown.clone()),
                format!("invalid value `{shown}` for `{key}`: expected {want}"),
            );
        }
        rendered
    }

    fn steps(&mut self, spec: &ScenarioSpec, release: &str, damage: &[Damage]) -> Vec<Step> {
        let steps_path = YamlPath::root().key("steps");
        if spec.steps.is_empty() {
            self.err(&steps_path, None, "a scenario needs at least one step");
        }
        let mut out = Vec::new();
        let mut open: Vec<Open> = Vec::new();
        let mut load_running = false;
        let mut load_ever = false;
        let mut running: Option<Running> = None;
        for (i, s) in spec.steps.iter().enumerate() {
            let path = steps_path.index(i);
            let line = self.line(&path);
            self.step_has_target = false;
            let action = match self.recovery(&path, out.len(), line, s, &mut running) {
                Some(checked) => checked,
                None => self.action(&path, i, line, s, &mut open, &mut load_running),
            };
            self.step_has_target = matches!(
                action,
                Some(
                    Action::Inject { .. }
                        | Action::Heal { .. }
                        | Action::Recover { .. }
                        | Action::AwaitRecover { .. }
                )
            );
            load_ever |= load_running;
            let expect = s
                .expect
                .iter()
                .enumerate()
                .filter_map(|(j, e)| {
                    self.expectation(&path.key("expect").index(j), e, release, damage, load_ever)
                })
                .collect();
            if let Some(action) = action {
                out.push(Step {
                    index: out.len(),
                    line,
                    origin: StepOrigin::Written,
                    action,
                    expect,
                });
            }
        }
        if let Some(r) = running {
            self.err(
                &r.path,
                Some("background".into()),
                format!(
                    "the background `recover` of line {} is never awaited: add an `await-recover` step after the faults meant to land during it",
                    r.line
                ),
            );
        }
        // Unwind whatever the file left open, last injected first.
        while let Some(o) = open.pop() {
            let verb = o.kind.inverse();
            self.warnings.push(format!(
                "{}:{}: {} on {} is never healed: appended `{}` at the end",
                self.file, o.line, o.kind, o.target, verb
            ));
            out.push(Step {
                index: out.len(),
                line: o.line,
                origin: StepOrigin::ImplicitHeal,
                action: Action::Heal {
                    verb,
                    fault_step: o.step,
                    kind: o.kind,
                },
                expect: Vec::new(),
            });
        }
        out
    }

    /// Checks that a target names a role or an existing node (and not `vip`/`any` unless allowed).
    fn target(&mut self, path: &YamlPath, t: &Target, vip_ok: bool, any_ok: bool) -> bool {
        match t {
            Target::Role(_) => true,
            Target::Node(n) if self.caps.nodes.contains(n) => true,
            Target::Node(n) => {
                let msg = format!(
                    "no such node `{n}` (the cluster has {})",
                    self.caps.nodes.join(", ")
                );
                self.err(path, Some(n.clone()), msg);
                false
            }
            Target::Vip if vip_ok => true,
            Target::Any if any_ok => true,
            Target::StepTarget if self.step_has_target => true,
            other => {
                self.err(
                    path,
                    Some(other.spelling()),
                    format!("`{other}` is not a valid target here (use a role or a node name)"),
                );
                false
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn action(
        &mut self,
        path: &YamlPath,
        index: usize,
        line: usize,
        s: &StepSpec,
        open: &mut Vec<Open>,
        load_running: &mut bool,
    ) -> Option<Action> {
        match &s.action {
            ActionSpec::Fault {
                fault,
                target,
                peer,
            } => {
                let kind = fault.kind();
                let Some(target) = target else {
                    self.err(
                        path,
                        None,
                        format!("`{kind}` needs a `target` (a role or a node)"),
                    );
                    return None;
                };
                if !self.target(&path.key("target"), target, false, false) {
                    return None;
                }
                let peer = match (peer, kind.row().peer) {
                    (Some(p), _) => {
                        if !self.target(&path.key("peer"), p, false, false) {
                            return None;
                        }
                        if p == target {
                            self.err(
                                &path.key("peer"),
                                Some(p.spelling()),
                                format!("`peer` is the target itself (`{p}`)"),
                            );
                            return None;
                        }
                        Some(p.clone())
                    }
                    (None, PeerUse::Required) if self.caps.nodes.len() != 2 => {
                        self.err(
                            path,
                            None,
                            format!(
                                "`{kind}` needs a `peer` unless the cluster has exactly two nodes"
                            ),
                        );
                        return None;
                    }
                    (None, _) => None,
                };
                if let Some((o, service)) = stopped_under(open, kind, target) {
                    let msg = format!(
                        "`{kind}` on `{target}` needs {} running there, but `{}` (line {}) is open on it and stops it: heal it first",
                        service.name(),
                        o.kind,
                        o.line
                    );
                    self.err(path, None, msg);
                    return None;
                }
                if let Some(o) = open.iter().find(|o| o.kind == kind && &o.target == target) {
                    let msg = format!(
                        "`{kind}` on `{target}` is already open since line {} (heal it first)",
                        o.line
                    );
                    self.err(path, None, msg);
                    return None;
                }
                open.push(Open {
                    step: index,
                    kind,
                    target: target.clone(),
                    line,
                });
                Some(Action::Inject {
                    fault: fault.clone(),
                    target: target.clone(),
                    peer,
                })
            }
            ActionSpec::Heal { verb, target } => {
                let verb = *verb;
                if let Some(t) = target {
                    if !self.target(&path.key("target"), t, false, false) {
                        return None;
                    }
                }
                let candidates: Vec<usize> = open
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| {
                        verb.heals(o.kind) && target.as_ref().is_none_or(|t| *t == o.target)
                    })
                    .map(|(i, _)| i)
                    .collect();
                let describe = |o: &Open| format!("{} on {} (line {})", o.kind, o.target, o.line);
                match candidates.as_slice() {
                    [i] => {
                        let o = open.remove(*i);
                        Some(Action::Heal {
                            verb,
                            fault_step: o.step,
                            kind: o.kind,
                        })
                    }
                    [] => {
                        let open_now = if open.is_empty() {
                            "none".to_string()
                        } else {
                            open.iter().map(describe).collect::<Vec<_>>().join(", ")
                        };
                        let on = target
                            .as_ref()
                            .map(|t| format!(" on `{t}`"))
                            .unwrap_or_default();
                        self.err(
                            path,
                            Some(verb.name().to_string()),
                            format!("`{verb}` heals no open fault{on} (open: {open_now})"),
                        );
                        None
                    }
                    many => {
                        let list = many
                            .iter()
                            .map(|i| describe(&open[*i]))
                            .collect::<Vec<_>>()
                            .join(", ");
                        self.err(
                            path,
                            Some(verb.name().to_string()),
                            format!("`{verb}` is ambiguous: it could heal {list}; add a `target`"),
                        );
                        None
                    }
                }
            }
            ActionSpec::Recover { target, background } => {
                if let Some(t) = target {
                    if !self.target(&path.key("target"), t, false, false) {
                        return None;
                    }
                }
                if let Some(o) = open.first() {
                    let msg = format!(
                        "`recover` while {} on {} (line {}) is still open: heal it first with `{}`",
                        o.kind,
                        o.target,
                        o.line,
                        o.kind.inverse()
                    );
                    self.err(path, None, msg);
                    return None;
                }
                Some(Action::Recover {
                    target: target.clone(),
                    background: background.unwrap_or(false),
                })
            }
            // Checked with the running background `recover` (see `recovery`).
            ActionSpec::AwaitRecover { .. } => None,
            ActionSpec::Wait { duration, .. } => match duration {
                Some(d) if d.0.is_zero() => {
                    self.err(&path.key("duration"), Some("0s".into()), "a wait of zero");
                    None
                }
                Some(d) => Some(Action::Wait {
                    duration: d.0,
                    until: None,
                }),
                None => {
                    self.err(
                        path,
                        None,
                        "`wait` needs a `duration` (e.g. `duration: 5s`)",
                    );
                    None
                }
            },
            ActionSpec::WriteLoadStart => {
                if *load_running {
                    self.err(path, None, "the write load is already running");
                    return None;
                }
                *load_running = true;
                Some(Action::WriteLoadStart)
            }
            ActionSpec::WriteLoadStop => {
                if !*load_running {
                    self.err(path, None, "the write load is not running");
                    return None;
                }
                *load_running = false;
                Some(Action::WriteLoadStop)
            }
            ActionSpec::Sql {
                statement,
                target,
                allow_error,
            } => {
                let target = target.clone().unwrap_or(Target::Vip);
                if !self.target(&path.key("target"), &target, true, false) {
                    return None;
                }
                match statement.as_deref().map(str::trim) {
                    Some(st) if !st.is_empty() => Some(Action::Sql {
                        statement: st.to_string(),
                        target,
                        allow_error: allow_error.unwrap_or(false),
                    }),
                    _ => {
                        self.err(path, None, "`sql` needs a non-empty `statement`");
                        None
                    }
                }
            }
        }
    }

    /// The steps that start, watch or collect a background `recover`: at most one runs at a time
    /// (two rejoins of one node would rewind the same data directory at once, and which node a
    /// second one picks depends on roles the first is changing), each is awaited, and `until` /
    /// `await-recover` need one running. `Some(action)` for the steps it decides (`Some(None)`:
    /// refused, the error recorded), `None` for the rest, which [`Validator::action`] checks
    /// (a `recover` goes on there once it may start). `index` is the step's index in the plan.
    fn recovery(
        &mut self,
        path: &YamlPath,
        index: usize,
        line: usize,
        s: &StepSpec,
        running: &mut Option<Running>,
    ) -> Option<Option<Action>> {
        match &s.action {
            ActionSpec::Recover { background, .. } => {
                if let Some(r) = running {
                    let msg = format!(
                        "`recover` while the background `recover` of line {} is still running (two rejoins at once): await it first with `await-recover`",
                        r.line
                    );
                    self.err(path, None, msg);
                    return Some(None);
                }
                if *background == Some(true) {
                    *running = Some(Running {
                        step: index,
                        line,
                        path: path.key("background"),
                    });
                }
                None
            }
            ActionSpec::AwaitRecover { duration, outcome } => {
                let Some(r) = running.take() else {
                    self.err(
                        path,
                        None,
                        "`await-recover` needs a `recover` with `background: true` before it (none is running)",
                    );
                    return Some(None);
                };
                if duration.is_some_and(|d| d.0.is_zero()) {
                    self.err(
                        &path.key("duration"),
                        Some("0s".into()),
                        "a timeout of zero",
                    );
                    return Some(None);
                }
                Some(Some(Action::AwaitRecover {
                    recover_step: r.step,
                    timeout: duration
                        .map(|d| d.0)
                        .unwrap_or(super::plan::RECOVER_TIMEOUT),
                    outcome: *outcome,
                }))
            }
            ActionSpec::Wait {
                duration,
                until: Some(kind),
            } => {
                let Some(r) = running.as_ref() else {
                    self.err(
                        &path.key("until"),
                        Some(kind.name().to_string()),
                        "`until` waits for an event of a background `recover`, and none is running (start one with `recover` and `background: true`)",
                    );
                    return Some(None);
                };
                if !super::plan::RECOVERY_EVENTS.contains(kind) {
                    let names: Vec<&str> = super::plan::RECOVERY_EVENTS
                        .iter()
                        .map(|k| k.name())
                        .collect();
                    self.err(
                        &path.key("until"),
                        Some(kind.name().to_string()),
                        format!(
                            "`until` waits for a line of the recovering node's recovery.log: one of {}",
                            names.join(", ")
                        ),
                    );
                    return Some(None);
                }
                let Some(d) = duration.filter(|d| !d.0.is_zero()) else {
                    self.err(
                        path,
                        None,
                        "`wait` with `until` needs a `duration`: the most it may take (e.g. `duration: 30s`)",
                    );
                    return Some(None);
                };
                Some(Some(Action::Wait {
                    duration: d.0,
                    until: Some((r.step, *kind)),
                }))
            }
            _ => None,
        }
    }

    fn expectation(
        &mut self,
        path: &YamlPath,
        e: &ExpectSpec,
        release: &str,
        damage: &[Damage],
        load_ever: bool,
    ) -> Option<Expectation> {
        let present: Vec<&str> = [
            ("log", e.log.is_some()),
            ("roles", e.roles.is_some()),
            ("vip", e.vip.is_some()),
            ("writes", e.writes.is_some()),
        ]
        .iter()
        .filter(|(_, p)| *p)
        .map(|(k, _)| *k)
        .collect();
        if present.len() != 1 {
            let found = if present.is_empty() {
                "none".to_string()
            } else {
                present.join(", ")
            };
            self.err(
                path,
                None,
                format!(
                    "an expectation needs exactly one of log, roles, vip, writes (found: {found})"
                ),
            );
            return None;
        }
        if e.node.is_some() && e.log.is_none() {
            self.err(
                &path.key("node"),
                None,
                "`node` only applies to `log` expectations",
            );
            return None;
        }
        let within = match e.within {
            Some(w) if w.0.is_zero() => {
                self.err(&path.key("within"), Some("0s".into()), "a deadline of zero");
                return None;
            }
            Some(w) => w.0,
            None => {
                self.err(
                    path,
                    None,
                    "missing `within`: every expectation needs a deadline (e.g. `within: 30s`)",
                );
                return None;
            }
        };
        let what = if let Some(event) = e.log {
            let node = e.node.clone().unwrap_or(Target::Any);
            if !self.target(&path.key("node"), &node, false, true) {
                return None;
            }
            if !self.caps.can_produce(release, event) {
                let why = if HARNESS_ONLY_EVENTS.contains(&event) {
                    " (it is recorded by the harness, not logged)"
                } else {
                    ""
                };
                self.err(
                    &path.key("log"),
                    Some(event.name().to_string()),
                    format!(
                        "the grammar of release `{release}` cannot produce event `{event}`{why}"
                    ),
                );
                return None;
            }
            Observation::Log { node, event }
        } else if let Some(roles) = &e.roles {
            if roles.is_empty() {
                self.err(&path.key("roles"), None, "empty `roles`");
                return None;
            }
            let mut out = Vec::new();
            for (k, role) in roles {
                let kp = path.key("roles").key(k);
                let t = match Target::parse(k) {
                    Ok(t) => t,
                    Err(m) => {
                        self.err(&kp, Some(k.clone()), m.to_string());
                        return None;
                    }
                };
                if !self.target(&kp, &t, false, false) {
                    return None;
                }
                out.push((t, *role));
            }
            let primaries = out.iter().filter(|(_, r)| *r == NodeRole::Primary).count();
            if primaries >= 2 && !e.absent && !damage.contains(&Damage::SplitBrain) {
                self.err(
                    &path.key("roles"),
                    None,
                    "two primaries is split brain: declare `expected_damage: [split-brain]`",
                );
                return None;
            }
            Observation::Roles(out)
        } else if let Some(vip) = &e.vip {
            let names: Vec<String> = match vip {
                VipSpec::One(s) if s == "none" => Vec::new(),
                VipSpec::One(s) => vec![s.clone()],
                VipSpec::Many(v) => v.clone(),
            };
            let mut out: Vec<Target> = Vec::new();
            for (i, n) in names.iter().enumerate() {
                let p = match vip {
                    VipSpec::Many(_) => path.key("vip").index(i),
                    VipSpec::One(_) => path.key("vip"),
                };
                let t = match Target::parse(n) {
                    Ok(t) => t,
                    Err(m) => {
                        self.err(&p, Some(n.clone()), m.to_string());
                        return None;
                    }
                };
                if !self.target(&p, &t, false, false) {
                    return None;
                }
                if out.contains(&t) {
                    self.err(&p, Some(n.clone()), format!("`{n}` is listed twice"));
                    return None;
                }
                out.push(t);
            }
            if out.len() >= 2 && !e.absent && !damage.contains(&Damage::SplitBrain) {
                self.err(
                    &path.key("vip"),
                    None,
                    "the vip on two nodes is split brain: declare `expected_damage: [split-brain]`",
                );
                return None;
            }
            Observation::Vip(out)
        } else {
            let w = e.writes.expect("one of four is present");
            if !load_ever {
                self.err(
                    &path.key("writes"),
                    Some(format!("{w:?}").to_lowercase()),
                    "`writes` needs the write load: add a `write-load-start` step before",
                );
                return None;
            }
            if w == WriteOutcome::Lost && !e.absent && !damage.contains(&Damage::LostWrites) {
                self.err(
                    &path.key("writes"),
                    Some("lost".into()),
                    "expecting lost writes: declare `expected_damage: [lost-writes]`",
                );
                return None;
            }
            Observation::Writes(w)
        };
        Some(Expectation {
            line: self.line(path),
            within,
            absent: e.absent,
            when_bug: e.when_bug,
            what,
        })
    }
}

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.to_string()
}

/// `gateway` (the cluster substitutes the network's gateway), `none` (empty), or addresses.
fn trusted_servers(t: &str) -> Option<String> {
    match t.trim() {
        "gateway" => Some("gateway".into()),
        "none" | "" => Some(String::new()),
        list => {
            let ok = list.split(',').map(str::trim).all(|a| {
                a.parse::<std::net::IpAddr>().is_ok()
                    || (!a.is_empty()
                        && a.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
            });
            ok.then(|| list.split(',').map(str::trim).collect::<Vec<_>>().join(","))
        }
    }
}

/// The type of a known pgpool setting.
#[derive(Clone, Copy)]
enum Setting {
    Bool,
    Int,
    Text,
    TrustedServers,
}

/// pgpool 4.6 settings a scenario may override. Deliberately a closed list: a typo such as
/// `health_chek_period` must fail validation, not be ignored by pgpool at boot.
const PGPOOL_SETTINGS: &[(&str, Setting)] = &[
    ("health_check_period", Setting::Int),
    ("health_check_timeout", Setting::Int),
    ("health_check_max_retries", Setting::Int),
    ("health_check_retry_delay", Setting::Int),
    ("connect_timeout", Setting::Int),
    ("search_primary_node_timeout", Setting::Int),
    ("sr_check_period", Setting::Int),
    ("delay_threshold", Setting::Int),
    ("auto_failback_interval", Setting::Int),
    ("wd_interval", Setting::Int),
    ("wd_heartbeat_keepalive", Setting::Int),
    ("wd_heartbeat_deadtime", Setting::Int),
    ("wd_priority", Setting::Int),
    ("num_init_children", Setting::Int),
    ("max_pool", Setting::Int),
    ("enable_consensus_with_half_votes", Setting::Bool),
    ("failover_when_quorum_exists", Setting::Bool),
    ("failover_require_consensus", Setting::Bool),
    ("allow_multiple_failover_requests_from_node", Setting::Bool),
    ("failover_on_backend_error", Setting::Bool),
    ("failover_on_backend_shutdown", Setting::Bool),
    ("detach_false_primary", Setting::Bool),
    ("auto_failback", Setting::Bool),
    ("load_balance_mode", Setting::Bool),
    ("wd_monitoring_interfaces_list", Setting::Text),
    ("wd_lifecheck_method", Setting::Text),
    ("log_min_messages", Setting::Text),
    ("trusted_servers", Setting::TrustedServers),
];

/// The names of [`PGPOOL_SETTINGS`], for docs and messages.
pub fn known_settings() -> impl Iterator<Item = &'static str> {
    PGPOOL_SETTINGS.iter().map(|(k, _)| *k)
}
