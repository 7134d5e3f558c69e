//! The one small interface every fault kind implements, and the handle that makes sure each
//! injected fault is healed.

use super::context::FaultContext;
use super::error::FaultError;
use super::FaultKind;
use crate::timeline::{Event, EventKind, WallTime};

/// A fault kind. Implementations live one per file; each undoes itself through the
/// [`Injected`] handle its `inject` returns.
#[async_trait::async_trait]
pub trait Fault: Send + Sync + std::fmt::Debug {
    /// Which kind this is.
    fn kind(&self) -> FaultKind;

    /// Checks, before anything changes, that the fault can be injected here (e.g. PGDATA is on a
    /// loop-backed ext4). The default accepts everything.
    async fn precheck(&self, _ctx: &FaultContext) -> Result<(), FaultError> {
        Ok(())
    }

    /// Injects the fault. On error nothing is left behind (a half-done injection is undone
    /// before returning).
    async fn inject(&self, ctx: &FaultContext) -> Result<Injected, FaultError>;

    /// Checks that the fault really took effect (polling up to `ctx.verify_timeout`).
    async fn verify(&self, ctx: &FaultContext) -> Result<(), FaultError>;
}

/// How one injected fault is undone; built by `inject` with everything it must remember (the
/// address to reconnect with, the namespaces that got rules, ...).
#[async_trait::async_trait]
pub trait Undo: Send + Sync {
    /// Undoes the fault.
    async fn undo(self: Box<Self>, ctx: &FaultContext) -> Result<(), FaultError>;
}

/// A fault that is in effect. The executor must await [`Injected::heal`] on success, failure,
/// timeout and Ctrl-C; dropping it unhealed logs an error (the fault stays in effect).
#[must_use = "an injected fault must be healed: await `heal(ctx)`"]
pub struct Injected {
    kind: FaultKind,
    target: String,
    started: Event,
    undo: Option<Box<dyn Undo>>,
}

impl std::fmt::Debug for Injected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Injected")
            .field("kind", &self.kind)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Injected {
    /// Wraps an undo, recording the `fault_started` event now.
    pub fn new(kind: FaultKind, ctx: &FaultContext, undo: Box<dyn Undo>) -> Self {
        Injected {
            kind,
            target: ctx.target.name.clone(),
            started: fault_event(EventKind::FaultStarted, kind, ctx),
            undo: Some(undo),
        }
    }

    /// The fault.
    pub fn kind(&self) -> FaultKind {
        self.kind
    }

    /// The node it was injected into.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The `fault_started` event, for the executor to append to the timeline.
    pub fn started_event(&self) -> &Event {
        &self.started
    }

    /// Heals the fault and returns the `fault_healed` event. On error the fault may still be in
    /// effect; the error says what failed.
    pub async fn heal(mut self, ctx: &FaultContext) -> Result<Event, FaultError> {
        let undo = self.undo.take().expect("undo is present until healed");
        tracing::debug!(fault = %self.kind, target = %self.target, "healing fault");
        undo.undo(ctx).await?;
        let mut ctx_for_event = ctx.clone();
        ctx_for_event.target.name = self.target.clone();
        Ok(fault_event(
            EventKind::FaultHealed,
            self.kind,
            &ctx_for_event,
        ))
    }
}

impl Drop for Injected {
    fn drop(&mut self) {
        if self.undo.is_some() {
            tracing::error!(
                fault = %self.kind,
                target = %self.target,
                "injected fault dropped without heal: it is still in effect"
            );
        }
    }
}

/// Prechecks, injects and verifies; if verification fails the fault is healed again before the
/// error is returned, so the caller holds a handle only for a fault that really took effect.
pub async fn inject_verified(
    fault: &dyn Fault,
    ctx: &FaultContext,
) -> Result<Injected, FaultError> {
    tracing::debug!(target = %ctx.target.name, "fault precheck");
    fault.precheck(ctx).await?;
    let injected = fault.inject(ctx).await?;
    tracing::debug!(fault = %injected.kind, target = %injected.target, "fault injected; verifying");
    if let Err(e) = fault.verify(ctx).await {
        if let Err(h) = injected.heal(ctx).await {
            tracing::error!(error = %h, "healing a fault that did not take effect failed");
        }
        return Err(e);
    }
    Ok(injected)
}

/// A `fault_started` / `fault_healed` event: node = target, file = `harness`.
pub fn fault_event(kind: EventKind, fault: FaultKind, ctx: &FaultContext) -> Event {
    let mut attrs = crate::timeline::Attrs::new();
    attrs.insert("fault".into(), serde_json::json!(fault.name()));
    attrs.insert("target".into(), serde_json::json!(ctx.target.name));
    if let Some(peer) = &ctx.peer {
        if fault.row().peer != super::PeerUse::None {
            attrs.insert("peer".into(), serde_json::json!(peer.name));
        }
    }
    let verb = if kind == EventKind::FaultStarted {
        "injected"
    } else {
        "healed"
    };
    Event {
        node: ctx.target.name.as_str().into(),
        file: "harness".into(),
        line: 0,
        time: Some(WallTime::now()),
        offset_ms: ctx.run_started.map(|t| t.elapsed().as_millis() as u64),
        kind,
        attrs,
        pid: None,
        text: format!("{verb} {fault} on {}", ctx.target.name).into(),
    }
}

/// Disarms a handle whose injection failed (nothing to heal) and passes the error on. Faults
/// create their handle before acting so that `fault_started` carries the moment they acted.
pub(crate) fn forget(mut injected: Injected, err: FaultError) -> FaultError {
    injected.undo = None;
    err
}
