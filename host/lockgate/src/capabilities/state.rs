//! `lockgate:connector/state`: a value kept between runs. `set` only stages
//! it; the run commits it when it does not fail. `checkpoint` commits it at
//! once: the rows reported before it are already stored (they are written
//! as they arrive), so a run cut short after a checkpoint leaves the next
//! run exactly the state that matches the rows the partner has.

use crate::bindings::state::Host;
use crate::bindings::types::HostError;
use crate::capabilities::Invocation;

pub const MAX_STATE_BYTES: usize = 64 << 10;

fn check_size(value: &str) -> Result<(), HostError> {
    if value.len() > MAX_STATE_BYTES {
        return Err(HostError::LimitExceeded(format!(
            "state is {} bytes; at most {MAX_STATE_BYTES}",
            value.len()
        )));
    }
    Ok(())
}

impl Host for Invocation {
    async fn get(&mut self) -> wasmtime::Result<Option<String>> {
        Ok(self
            .state
            .staged
            .clone()
            .or_else(|| self.state.saved.clone()))
    }

    async fn set(&mut self, value: String) -> wasmtime::Result<Result<(), HostError>> {
        if let Err(e) = check_size(&value) {
            return Ok(Err(e));
        }
        self.state.staged = Some(value);
        Ok(Ok(()))
    }

    async fn checkpoint(&mut self, value: String) -> wasmtime::Result<Result<(), HostError>> {
        if let Err(e) = check_size(&value) {
            return Ok(Err(e));
        }
        if let Some(install) = &self.install {
            if let Err(e) = self.store.set_state(&install.id, &value).await {
                tracing::error!(install = %install.id, "storing a checkpoint: {e}");
                return Ok(Err(HostError::Unavailable(
                    "the host could not store the checkpoint; try again later".into(),
                )));
            }
            self.state.checkpointed = Some(value.clone());
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
    /// The last value this run committed with `checkpoint`.
    pub checkpointed: Option<String>,
}
