//! `lockgate:connector/state`: a value kept between runs. `set` only stages
//! it; the run commits it when it does not fail.

use crate::bindings::state::Host;
use crate::bindings::types::HostError;
use crate::capabilities::Invocation;

pub const MAX_STATE_BYTES: usize = 64 << 10;

impl Host for Invocation {
    async fn get(&mut self) -> wasmtime::Result<Option<String>> {
        Ok(self
            .state
            .staged
            .clone()
            .or_else(|| self.state.saved.clone()))
    }

    async fn set(&mut self, value: String) -> wasmtime::Result<Result<(), HostError>> {
        if value.len() > MAX_STATE_BYTES {
            return Ok(Err(HostError::LimitExceeded(format!(
                "state is {} bytes; at most {MAX_STATE_BYTES}",
                value.len()
            ))));
        }
        self.state.staged = Some(value);
        Ok(Ok(()))
    }
}

/// The state slot of one invocation.
#[derive(Debug, Clone, Default)]
pub struct StateSlot {
    /// What the last successful run saved.
    pub saved: Option<String>,
    /// What this run set, if anything.
    pub staged: Option<String>,
}
