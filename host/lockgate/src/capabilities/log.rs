//! `lockgate:connector/log`: lines go to the run log, capped.

use crate::bindings::log::{Host, Level};
use crate::runtime::Invocation;

impl Host for Invocation {
    async fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        self.recorder.log(level, &message);
        Ok(())
    }
}
