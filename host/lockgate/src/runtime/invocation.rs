//! One invocation: a fresh store with the capabilities' state
//! ([`Invocation`]), the limits around it, the call, and the translation of
//! traps and limits into a reason a person understands.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi::{I32Exit, ResourceTable, WasiCtx};
use wasmtime_wasi_http::WasiHttpCtx;

use super::contract::{Call, CallResult};
use super::{Plugin, Runtime};
use crate::capabilities::host_objects::{FIELD_SIZE_LIMIT, explain_trap, max_host_objects};
use crate::capabilities::hr::Audit;
use crate::capabilities::http::Egress;
use crate::capabilities::invocation::InstallRef;
use crate::capabilities::invocation::{Invocation, MemoryLimiter};
use crate::capabilities::log::CapturedOutput;
use crate::capabilities::outcomes::OutcomeSink;
use crate::capabilities::state::StateSlot;
use crate::capabilities::{LogLine, Recorder};
use crate::hr::Visibility;
use crate::policy::{Grant, Limits};
use crate::vocabulary::{Failure, FailureKind};

/// Captured stdout and stderr, each.
const MAX_STDIO_BYTES: usize = 64 << 10;

/// What an invocation may see and use.
pub struct InvocationSetup {
    pub store: crate::Store,
    pub visibility: Visibility,
    pub grant: Arc<Grant>,
    pub limits: Limits,
    /// Non-secret configuration values (defaults filled in).
    pub config: BTreeMap<String, String>,
    /// The state the last successful run saved.
    pub state: Option<String>,
    /// The run rows are written to; `None` for calls that are not runs.
    pub run_id: Option<String>,
    /// The install the invocation runs for, when it runs for one: where a
    /// checkpoint is committed, and since when departures are told.
    pub install: Option<InstallRef>,
    /// The clock the connector's wall clock reads, when it is not the
    /// system's moved onto [`Visibility::today`]: a sandbox's own clock.
    pub clock: Option<crate::time::Clock>,
    /// The admin's sign-in at the partner, opened for this invocation, for
    /// a connector that signs in by authorization code.
    pub sign_in: Option<Arc<crate::capabilities::oauth::SignedIn>>,
}

struct Prepared {
    store: Store<Invocation>,
    started: Instant,
    limits: Limits,
    recorder: Recorder,
    stdout: CapturedOutput,
    stderr: CapturedOutput,
    deadline_text: String,
}

/// An instantiated, idle connector.
pub struct LiveInstance {
    _store: Store<Invocation>,
    _connector: super::contract::ContractInstance,
}

/// Everything an invocation produced.
pub struct InvocationReport {
    /// `Ok` with the export's return value, or `Err` with why the instance
    /// died (a trap, a limit, the deadline), phrased for a person.
    pub result: Result<CallResult, Failure>,
    /// Monitoring rows the connector reported, and how many failed.
    pub rows_written: u64,
    pub rows_failed: u64,
    /// Set when the run's row byte budget cut texts: the marker line.
    pub rows_budget_marker: Option<String>,
    pub log: Vec<LogLine>,
    /// Requests the policy refused, phrased for a person: the first
    /// [`crate::capabilities::recorder::MAX_DENIALS`].
    pub denials: Vec<String>,
    /// Refused requests not in `denials` (past the cap, or after a fatal
    /// limit).
    pub denials_more: u64,
    /// Why the host could not sign in to the partner, if it could not.
    pub sign_in_failure: Option<String>,
    /// The state to commit if the caller decides the run did not fail.
    pub staged_state: Option<String>,
    pub requests: u32,
    pub peak_memory: u64,
    pub audit: Audit,
    /// HR events the connector's writes caused, for the caller to publish.
    pub events: Vec<crate::hr::change::HrEvent>,
    pub duration: Duration,
}

impl Runtime {
    /// A fresh store for one invocation, with its limits installed.
    fn new_store(&self, setup: InvocationSetup, memory_mb: Option<u32>) -> Prepared {
        let started = Instant::now();
        let limits = setup.limits.for_connector(memory_mb);
        let recorder = Recorder::new(limits.max_log_bytes);
        let stdout = CapturedOutput::new(MAX_STDIO_BYTES);
        let stderr = CapturedOutput::new(MAX_STDIO_BYTES);

        // No files, environment, arguments or sockets; the wall clock on
        // the day the invocation sees the HR data as of.
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .wall_clock(match &setup.clock {
                Some(clock) => AsOfClock(clock.clone()),
                None => AsOfClock::on(setup.visibility.today),
            })
            .build();

        let target = setup.run_id.map(|run_id| (setup.store.clone(), run_id));
        // Host-side objects are bounded by the run's memory budget.
        let mut table = ResourceTable::new();
        table.set_max_capacity(max_host_objects(&limits));
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(FIELD_SIZE_LIMIT);
        let data = Invocation {
            wasi,
            table,
            http,
            egress: Egress {
                grant: setup.grant.clone(),
                limits: limits.clone(),
                recorder: recorder.clone(),
                tls: self.tls.clone(),
                tokens: self.tokens.clone(),
                sign_in: setup.sign_in.clone(),
            },
            limiter: MemoryLimiter {
                max: limits.memory_bytes,
                peak: 0,
                recorder: recorder.clone(),
            },
            store: setup.store,
            visibility: setup.visibility,
            config: setup.config,
            state: StateSlot {
                saved: setup.state,
                staged: None,
                checkpointed: None,
            },
            install: setup.install,
            events: Vec::new(),
            outcomes: OutcomeSink::new(target, &limits),
            recorder: recorder.clone(),
            audit: Audit::default(),
        };
        let mut store = Store::new(&self.engine, data);
        store.limiter(|data| &mut data.limiter);

        let deadline = started + limits.deadline;
        let deadline_text = format!(
            "deadline {} exceeded",
            Limits::human_duration(limits.deadline)
        );
        {
            let recorder = recorder.clone();
            let deadline_text = deadline_text.clone();
            store.set_epoch_deadline(1);
            store.epoch_deadline_callback(move |_| {
                if Instant::now() >= deadline {
                    recorder.fatal(FailureKind::Deadline, deadline_text.clone());
                    return Err(wasmtime::format_err!("{deadline_text}"));
                }
                // The run already failed and the connector keeps asking:
                // end it now rather than at the deadline.
                if recorder.kept_calling_after_fatal() {
                    return Err(wasmtime::format_err!("stopped after a fatal limit"));
                }
                Ok(UpdateDeadline::Yield(1))
            });
        }
        Prepared {
            store,
            started,
            limits,
            recorder,
            stdout,
            stderr,
            deadline_text,
        }
    }

    /// Builds and drops an invocation's store without instantiating: the
    /// fixed cost around instantiation, for the benchmarks.
    #[doc(hidden)]
    pub fn store_only(&self, setup: InvocationSetup) {
        drop(self.new_store(setup, None));
    }

    /// A fresh instance in `store`, counted for monitoring.
    async fn instantiate(
        &self,
        plugin: &Plugin,
        store: &mut Store<Invocation>,
    ) -> Result<super::contract::ContractInstance, wasmtime::Error> {
        let result = plugin.pre.instantiate(store).await;
        let counter = match &result {
            Ok(_) => &self.counters.instantiations,
            Err(_) => &self.counters.instantiation_failures,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        result
    }

    /// Instantiates the component without looking up its exports: the
    /// part of instantiation the export lookup is not, for the benchmarks.
    #[doc(hidden)]
    pub async fn instantiate_bare(
        &self,
        plugin: &Plugin,
        setup: InvocationSetup,
    ) -> Result<(), wasmtime::Error> {
        let mut prepared = self.new_store(setup, plugin.manifest.memory_mb);
        plugin
            .pre
            .instance_pre()
            .instantiate_async(&mut prepared.store)
            .await?;
        Ok(())
    }

    /// Instantiates a plugin and keeps the instance idle, for measuring
    /// instantiation time and the memory a live instance holds.
    pub async fn instantiate_idle(
        &self,
        plugin: &Plugin,
        setup: InvocationSetup,
    ) -> Result<LiveInstance, wasmtime::Error> {
        let mut prepared = self.new_store(setup, plugin.manifest.memory_mb);
        let connector = self.instantiate(plugin, &mut prepared.store).await?;
        Ok(LiveInstance {
            _store: prepared.store,
            _connector: connector,
        })
    }

    /// Runs one export in a fresh instance.
    pub async fn invoke(
        &self,
        plugin: &Plugin,
        setup: InvocationSetup,
        call: Call,
    ) -> InvocationReport {
        let Prepared {
            mut store,
            started,
            limits,
            recorder,
            stdout,
            stderr,
            deadline_text,
        } = self.new_store(setup, plugin.manifest.memory_mb);

        let run = async {
            let connector = self.instantiate(plugin, &mut store).await?;
            connector.call(&mut store, call).await
        };
        // Epochs cannot interrupt a host call (a slow partner, a slow
        // store), so the whole invocation also runs under a timer.
        let outcome = tokio::time::timeout(limits.deadline, run).await;
        let result = match outcome {
            Err(_) => {
                recorder.fatal(FailureKind::Deadline, deadline_text.clone());
                Err(recorder
                    .fatal_failure()
                    .unwrap_or_else(|| Failure::new(FailureKind::Deadline, deadline_text)))
            }
            Ok(Err(trap)) => Err(explain(&trap, &recorder, &limits)),
            Ok(Ok(result)) => match recorder.fatal_failure() {
                // A limit was hit but the guest carried on: still a failure.
                Some(reason) => Err(reason),
                None => Ok(result),
            },
        };

        for (name, pipe) in [("stdout", &stdout), ("stderr", &stderr)] {
            let (bytes, truncated) = pipe.contents();
            for line in String::from_utf8_lossy(&bytes)
                .lines()
                .filter(|l| !l.trim().is_empty())
            {
                recorder.log("info", &format!("{name}: {line}"));
            }
            if truncated {
                let cap = Limits::human_bytes(MAX_STDIO_BYTES as u64);
                recorder.log(
                    "warn",
                    &format!("{name} limit {cap} reached; the rest was dropped"),
                );
            }
        }

        let data = store.into_data();
        InvocationReport {
            result,
            rows_written: data.outcomes.written,
            rows_failed: data.outcomes.failed,
            rows_budget_marker: data.outcomes.budget.marker(),
            log: recorder.take_lines(),
            sign_in_failure: recorder.sign_in_failure(),
            denials: recorder.denials(),
            denials_more: {
                let more = recorder.denials_more();
                let kept = recorder.denials().len() as u64;
                self.counters
                    .denials
                    .fetch_add(kept + more, Ordering::Relaxed);
                more
            },
            // What a checkpoint already committed is not written again.
            staged_state: data
                .state
                .staged
                .filter(|staged| data.state.checkpointed.as_ref() != Some(staged)),
            requests: recorder.requests(),
            peak_memory: data.limiter.peak,
            audit: data.audit,
            events: data.events,
            duration: started.elapsed(),
        }
    }
}

/// A trap in words. A recorded limit explains it best; then a host-object
/// limit, an exit, and otherwise the trap code.
fn explain(trap: &wasmtime::Error, recorder: &Recorder, limits: &Limits) -> Failure {
    if let Some(failure) = recorder.fatal_failure() {
        return failure;
    }
    if let Some(failure) = explain_trap(trap, limits) {
        return failure;
    }
    if let Some(I32Exit(code)) = trap.downcast_ref::<I32Exit>() {
        return Failure::new(
            FailureKind::Trap,
            format!("the connector exited with code {code}"),
        );
    }
    Failure::new(FailureKind::Trap, trap_reason(trap))
}

fn trap_reason(trap: &wasmtime::Error) -> String {
    if let Some(code) = trap.downcast_ref::<wasmtime::Trap>() {
        return match code {
            wasmtime::Trap::StackOverflow => "stack overflow: recursion too deep".into(),
            wasmtime::Trap::UnreachableCodeReached => {
                "the connector crashed (it panicked or aborted)".into()
            }
            wasmtime::Trap::MemoryOutOfBounds => {
                "the connector crashed: out-of-bounds memory access (its stack overflowed from too deep recursion, or it has a memory bug)".into()
            }
            wasmtime::Trap::IntegerDivisionByZero => "the connector crashed (division by zero)".into(),
            wasmtime::Trap::Interrupt => "the connector was interrupted".into(),
            other => format!("the connector crashed ({other})"),
        };
    }
    format!("the connector failed: {trap}")
}

/// The connector's wall clock: the system's, moved by whole days onto the
/// day its HR data is seen as of ([`Visibility::today`]), so the date a
/// connector decides by and the data it reads agree: a delivery handled
/// after midnight is still on the day it was received, and a run the app's
/// [`Clock`](crate::time::Clock) started is on the clock's day. Or a
/// sandbox's own clock, to the nanosecond, so what the sandbox stamped and
/// what the connector saves as "now" compare.
struct AsOfClock(crate::time::Clock);

impl AsOfClock {
    fn on(day: time::Date) -> AsOfClock {
        AsOfClock(crate::time::Clock::ahead(day - crate::time::today()))
    }
}

impl wasmtime_wasi::HostWallClock for AsOfClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        let since_epoch = self.0.now() - time::OffsetDateTime::UNIX_EPOCH;
        since_epoch.try_into().unwrap_or_default()
    }
}
