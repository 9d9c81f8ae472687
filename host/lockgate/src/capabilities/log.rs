//! `lockgate:connector/log`: lines go to the run log, capped.

use crate::bindings::log::{Host, Level};
use crate::capabilities::Invocation;

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

/// The guest's stdout or stderr: kept up to a cap, the rest discarded, so a
/// chatty connector is truncated rather than crashed by a full pipe.
#[derive(Debug, Clone)]
pub struct CapturedOutput {
    buffer: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    cap: usize,
}

impl CapturedOutput {
    pub fn new(cap: usize) -> Self {
        CapturedOutput {
            buffer: Default::default(),
            cap,
        }
    }

    /// What was kept, and whether more was written than kept.
    pub fn contents(&self) -> (Vec<u8>, bool) {
        let buffer = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        let truncated = buffer.len() > self.cap;
        (buffer[..buffer.len().min(self.cap)].to_vec(), truncated)
    }
}

impl wasmtime_wasi::cli::IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl wasmtime_wasi::cli::StdoutStream for CapturedOutput {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl tokio::io::AsyncWrite for CapturedOutput {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let mut buffer = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        // Keep one byte past the cap as the "truncated" mark.
        let room = (self.cap + 1).saturating_sub(buffer.len());
        buffer.extend_from_slice(&buf[..buf.len().min(room)]);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}
