//! The connector runtime: one wasmtime engine with the pooling allocator and
//! epoch interruption, compiled artifacts cached on disk by plugin digest and
//! engine (verified before use, see [`compiled`]), an `InstancePre` per plugin build, and a fresh `Store` per
//! invocation with memory, time, request, row and log limits.
//!
//! [`Runtime::load`] turns a `.wasm` file into a [`Plugin`] (inspected,
//! compiled once); [`Runtime::invoke`] runs one export under an
//! [`InvocationSetup`] and reports what happened as an [`InvocationReport`].

mod compiled;
mod contract;
mod invocation;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lockgate_manifest::{Inspection, Manifest};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

pub use crate::capabilities::Invocation;
pub use contract::CURRENT as CURRENT_CONTRACT;
pub use contract::{Call, CallResult};
pub use invocation::{InvocationReport, InvocationSetup, LiveInstance};

use contract::ContractPre;

/// Runtime settings with documented defaults.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Where compiled artifacts are kept; `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// Concurrent instances the pool holds.
    pub max_instances: u32,
    /// Largest linear memory any install may be given.
    pub max_memory_bytes: u64,
    /// Guest stack; deep recursion past it traps.
    pub max_wasm_stack: usize,
    /// How often the epoch ticks (the granularity of deadlines).
    pub epoch_tick: Duration,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            cache_dir: None,
            max_instances: 64,
            max_memory_bytes: 256 << 20,
            max_wasm_stack: 1 << 20,
            epoch_tick: Duration::from_millis(10),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The component was inspected and refused; one entry per reason.
    #[error("the connector was refused: {}", .0.join("; "))]
    Refused(Vec<String>),
    #[error("the connector could not be compiled: {0}")]
    Compile(String),
}

/// A plugin build ready to instantiate.
pub struct Plugin {
    pub sha256: String,
    pub manifest: Manifest,
    pub inspection: Inspection,
    pub(crate) pre: ContractPre,
    /// How the compiled code was obtained: compiled now or read from cache.
    pub from_cache: bool,
    pub compile_time: Duration,
}

impl Plugin {
    /// The contract version the build runs under (`0.1.0`, `0.2.0`).
    pub fn contract(&self) -> &'static str {
        self.pre.version()
    }
}

pub struct Runtime {
    engine: Engine,
    linker: Linker<Invocation>,
    cache: Option<compiled::CompiledCache>,
    /// The pool's memory slot: the most any connector may ask for.
    max_memory_bytes: u64,
    plugins: Mutex<HashMap<String, Arc<Plugin>>>,
    stop_ticker: Arc<std::sync::atomic::AtomicBool>,
    pub(crate) tls: Arc<rustls::ClientConfig>,
    /// OAuth2 access tokens, shared by every invocation of the process.
    pub(crate) tokens: Arc<crate::capabilities::oauth::TokenCache>,
    pub(crate) counters: Counters,
}

/// Process-wide counts for monitoring.
#[derive(Debug, Default)]
pub struct Counters {
    pub instantiations: std::sync::atomic::AtomicU64,
    pub instantiation_failures: std::sync::atomic::AtomicU64,
    pub denials: std::sync::atomic::AtomicU64,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop_ticker
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Runtime {
    pub fn new(config: RuntimeConfig) -> Result<Runtime, wasmtime::Error> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(config.max_instances)
            .total_core_instances(config.max_instances * 8)
            .total_memories(config.max_instances * 4)
            .total_tables(config.max_instances * 8)
            .total_stacks(config.max_instances)
            .max_memory_size(config.max_memory_bytes as usize)
            .max_memories_per_component(8)
            .max_core_instances_per_component(16)
            .max_tables_per_component(16)
            .linear_memory_keep_resident(64 << 10)
            .table_keep_resident(8 << 10);

        let mut wasm = Config::new();
        wasm.wasm_component_model(true)
            .epoch_interruption(true)
            .max_wasm_stack(config.max_wasm_stack)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&wasm)?;

        let mut linker = Linker::<Invocation>::new(&engine);
        // Rust's std links these; the context grants nothing through them.
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        crate::capabilities::host_objects::bound_request_strings(&mut linker)?;
        // The contract's own interfaces, every version; the world's WASI
        // imports are above.
        contract::link(&mut linker)?;

        let stop_ticker = Arc::new(std::sync::atomic::AtomicBool::new(false));
        {
            let engine = engine.clone();
            let stop = stop_ticker.clone();
            let tick = config.epoch_tick;
            std::thread::Builder::new()
                .name("lockgate-epoch".into())
                .spawn(move || {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        std::thread::sleep(tick);
                        engine.increment_epoch();
                    }
                })
                .map_err(wasmtime::Error::new)?;
        }

        let cache = config
            .cache_dir
            .clone()
            .map(|dir| compiled::CompiledCache::new(dir, &engine));
        Ok(Runtime {
            engine,
            linker,
            cache,
            max_memory_bytes: config.max_memory_bytes,
            plugins: Mutex::new(HashMap::new()),
            stop_ticker,
            counters: Counters::default(),
            tls: crate::capabilities::transport::tls_config(),
            tokens: Default::default(),
        })
    }

    /// Counts since the process started.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Inspects, compiles (or loads the cached compilation of) and prepares
    /// a plugin. A second load of the same bytes returns the prepared one.
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<Plugin>, LoadError> {
        // A loaded build is found by its digest alone; validating the whole
        // component again on every run would be wasted work.
        use sha2::Digest;
        let sha256 = hex::encode(sha2::Sha256::digest(bytes));
        if let Some(plugin) = self.lock_plugins().get(&sha256) {
            return Ok(plugin.clone());
        }
        let inspection = lockgate_manifest::inspect(bytes);
        if !inspection.is_acceptable() {
            return Err(LoadError::Refused(
                inspection
                    .problems
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ));
        }
        let Some(manifest) = inspection.manifest.clone() else {
            return Err(LoadError::Refused(vec!["has no manifest".into()]));
        };
        let asked = u64::from(manifest.memory_mb.unwrap_or(0)) << 20;
        if asked > self.max_memory_bytes {
            return Err(LoadError::Refused(vec![format!(
                "memory-mb asks for {}; this platform gives a connector at most {}",
                crate::policy::Limits::human_bytes(asked),
                crate::policy::Limits::human_bytes(self.max_memory_bytes)
            )]));
        }
        let started = Instant::now();
        let (component, from_cache) = self.compile(bytes, &inspection.sha256)?;
        let compile_time = started.elapsed();
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Refused(vec![format!("cannot be linked: {e}")]))?;
        let pre = ContractPre::new(instance_pre, inspection.contract.as_deref()).map_err(|e| {
            LoadError::Refused(vec![format!("does not match the connector world: {e}")])
        })?;
        let plugin = Arc::new(Plugin {
            sha256: inspection.sha256.clone(),
            manifest,
            inspection,
            pre,
            from_cache,
            compile_time,
        });
        self.lock_plugins()
            .insert(plugin.sha256.clone(), plugin.clone());
        Ok(plugin)
    }

    /// The prepared build with this digest, if this process loaded it.
    pub fn loaded(&self, sha256: &str) -> Option<Arc<Plugin>> {
        self.lock_plugins().get(sha256).cloned()
    }

    fn lock_plugins(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Plugin>>> {
        self.plugins.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The compiled code of a plugin: from this replica's cache when it
    /// holds a good entry (see [`compiled`]), else compiled now and cached.
    fn compile(&self, bytes: &[u8], sha256: &str) -> Result<(Component, bool), LoadError> {
        if let Some(component) = self
            .cache
            .as_ref()
            .and_then(|cache| cache.read(&self.engine, sha256))
        {
            return Ok((component, true));
        }
        let component =
            Component::new(&self.engine, bytes).map_err(|e| LoadError::Compile(e.to_string()))?;
        if let Some(cache) = &self.cache {
            cache.write(sha256, &component);
        }
        Ok((component, false))
    }

    /// Where the compiled code of the plugin `sha256` is cached for this
    /// engine, when there is a cache.
    pub fn cached_artifact(&self, sha256: &str) -> Option<PathBuf> {
        Some(self.cache.as_ref()?.path(sha256))
    }
}
