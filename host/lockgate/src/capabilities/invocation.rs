//! The store data of one invocation: the state every capability works on
//! (WASI with nothing granted, outbound HTTP under the egress policy, HR
//! data under the visibility rules, config, state, outcomes, log, audit),
//! and the memory limiter. The runtime builds it fresh for every call.

use std::collections::BTreeMap;

use wasmtime::ResourceLimiter;
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::capabilities::Recorder;
use crate::capabilities::hr::Audit;
use crate::capabilities::http::Egress;
use crate::capabilities::outcomes::OutcomeSink;
use crate::capabilities::state::StateSlot;
use crate::hr::Visibility;
use crate::policy::Limits;
use crate::vocabulary::FailureKind;

/// The store data of one invocation.
pub struct Invocation {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) http: WasiHttpCtx,
    pub(crate) egress: Egress,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) store: crate::Store,
    pub(crate) visibility: Visibility,
    pub(crate) config: BTreeMap<String, String>,
    pub(crate) state: StateSlot,
    pub(crate) outcomes: OutcomeSink,
    pub(crate) recorder: Recorder,
    pub(crate) audit: Audit,
    pub(crate) install: Option<InstallRef>,
    /// HR events the connector's writes caused, published after the run.
    pub(crate) events: Vec<crate::hr::change::HrEvent>,
}

/// The install an invocation runs for.
#[derive(Debug, Clone)]
pub struct InstallRef {
    pub id: String,
    /// When the tenant connected it: departures before it are not told.
    pub connected_at: String,
}

impl Invocation {
    /// Once a limit ended the run, host calls that would do work (HR reads
    /// and writes) are refused at once.
    pub(crate) fn refuse_after_fatal(&self) -> Result<(), crate::bindings::types::HostError> {
        if self.recorder.has_failed() {
            return Err(crate::bindings::types::HostError::LimitExceeded(
                "the run already failed on a limit".into(),
            ));
        }
        Ok(())
    }
}

impl WasiView for Invocation {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Invocation {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.egress,
        }
    }
}

/// Refuses memory growth past the cap and remembers that it did, so the
/// run fails with "memory limit" rather than the guest's abort trap.
pub struct MemoryLimiter {
    pub max: u64,
    pub peak: u64,
    pub recorder: Recorder,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > self.max {
            self.recorder.fatal(
                FailureKind::Memory,
                format!("memory limit {} reached", Limits::human_bytes(self.max)),
            );
            return Ok(false);
        }
        self.peak = self.peak.max(desired as u64);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}
