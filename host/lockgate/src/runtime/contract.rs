//! The contract versions the host runs. Every released version is linked;
//! a plugin is bound to the one its imports name (see
//! [`lockgate_manifest::Inspection::contract`]), and a component that
//! imports no contract interface is tried against the current world, then
//! the older ones. The capabilities implement the current version; the
//! older ones are translated onto it in
//! [`crate::capabilities::contract_0_1`].

use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

use crate::bindings::{
    self, ConnectorError, Event, FieldError, Trigger, WebhookRequest, WebhookResponse, v0_1,
};
use crate::capabilities::Invocation;
use crate::capabilities::contract_0_1::{self as adapt, Adapt};

/// The current contract version.
pub const CURRENT: &str = "0.2.0";

/// Links the contract's interfaces of every version the host runs.
pub fn link(linker: &mut Linker<Invocation>) -> wasmtime::Result<()> {
    use bindings::{attendances, config, hr, log, outcomes, recruiting, state, types};
    types::add_to_linker::<_, HasSelf<Invocation>>(linker, |s| s)?;
    hr::add_to_linker::<_, HasSelf<Invocation>>(linker, |s| s)?;
    attendances::add_to_linker::<_, HasSelf<Invocation>>(linker, |s| s)?;
    recruiting::add_to_linker::<_, HasSelf<Invocation>>(linker, |s| s)?;

    outcomes::add_to_linker::<_, HasSelf<Invocation>>(linker, |s| s)?;
    config::add_to_linker::<_, HasSelf<Invocation>>(linker, |s| s)?;
    state::add_to_linker::<_, HasSelf<Invocation>>(linker, |s| s)?;
    log::add_to_linker::<_, HasSelf<Invocation>>(linker, |s| s)?;

    // 0.1.0 shares the current `types` (identical in both); its interface
    // only has to exist under its own name.
    linker.instance("lockgate:connector/types@0.1.0")?;
    v0_1::hr::add_to_linker::<_, HasSelf<Invocation>>(linker, |s| s)?;
    v0_1::outcomes::add_to_linker::<_, HasSelf<Invocation>>(linker, |s| s)?;
    v0_1::config::add_to_linker::<_, HasSelf<Invocation>>(linker, |s| s)?;
    v0_1::state::add_to_linker::<_, HasSelf<Invocation>>(linker, |s| s)?;
    v0_1::log::add_to_linker::<_, HasSelf<Invocation>>(linker, |s| s)?;
    Ok(())
}

/// The export to call.
pub enum Call {
    ValidateConfig(Vec<(String, String)>),
    CheckConnection,
    Sync(Trigger),
    OnEvent(Event),
    Webhook(WebhookRequest),
}

/// What the export returned.
#[derive(Debug)]
pub enum CallResult {
    ValidateConfig(Result<(), Vec<FieldError>>),
    Connector(Result<(), ConnectorError>),
    Webhook(WebhookResponse),
}

/// A plugin build prepared against the contract version it was built for.
pub(crate) enum ContractPre {
    Current(bindings::ConnectorPre<Invocation>),
    V0_1(v0_1::ConnectorPre<Invocation>),
}

/// An instance of a plugin, with its version's exports.
pub(crate) enum ContractInstance {
    Current(bindings::Connector),
    V0_1(v0_1::Connector),
}

impl ContractPre {
    /// Checks the component's exports against the world of `version` (the
    /// version its imports name), or against every world when it names
    /// none. The error says why it matches none.
    pub fn new(pre: InstancePre<Invocation>, version: Option<&str>) -> Result<ContractPre, String> {
        let current = || bindings::ConnectorPre::new(pre.clone()).map(ContractPre::Current);
        let old = || v0_1::ConnectorPre::new(pre.clone()).map(ContractPre::V0_1);
        match version {
            Some("0.1.0") => old().map_err(|e| format!("contract 0.1.0: {e}")),
            Some(_) => current().map_err(|e| format!("contract {CURRENT}: {e}")),
            None => current()
                .or_else(|e| old().map_err(|_| e))
                .map_err(|e| format!("contract {CURRENT}: {e}")),
        }
    }

    /// The contract version this build runs under.
    pub fn version(&self) -> &'static str {
        match self {
            ContractPre::Current(_) => CURRENT,
            ContractPre::V0_1(_) => "0.1.0",
        }
    }

    pub fn instance_pre(&self) -> &InstancePre<Invocation> {
        match self {
            ContractPre::Current(pre) => pre.instance_pre(),
            ContractPre::V0_1(pre) => pre.instance_pre(),
        }
    }

    pub async fn instantiate(
        &self,
        store: &mut Store<Invocation>,
    ) -> wasmtime::Result<ContractInstance> {
        Ok(match self {
            ContractPre::Current(pre) => {
                ContractInstance::Current(pre.instantiate_async(store).await?)
            }
            ContractPre::V0_1(pre) => ContractInstance::V0_1(pre.instantiate_async(store).await?),
        })
    }
}

impl ContractInstance {
    /// Calls the export `call` names, in this instance's contract version.
    pub async fn call(
        &self,
        store: &mut Store<Invocation>,
        call: Call,
    ) -> wasmtime::Result<CallResult> {
        match self {
            ContractInstance::Current(c) => Ok(match call {
                Call::ValidateConfig(config) => {
                    CallResult::ValidateConfig(c.call_validate_config(store, &config).await?)
                }
                Call::CheckConnection => CallResult::Connector(c.call_check_connection(store).await?),
                Call::Sync(trigger) => CallResult::Connector(c.call_sync(store, trigger).await?),
                Call::OnEvent(event) => CallResult::Connector(c.call_on_event(store, &event).await?),
                Call::Webhook(request) => {
                    CallResult::Webhook(c.call_handle_webhook(store, &request).await?)
                }
            }),
            ContractInstance::V0_1(c) => Ok(match call {
                Call::ValidateConfig(config) => {
                    CallResult::ValidateConfig(c.call_validate_config(store, &config).await?)
                }
                Call::CheckConnection => CallResult::Connector(c.call_check_connection(store).await?),
                Call::Sync(trigger) => {
                    CallResult::Connector(c.call_sync(store, trigger.adapt()).await?)
                }
                Call::OnEvent(event) => match adapt::event(event) {
                    Some(event) => CallResult::Connector(c.call_on_event(store, &event).await?),
                    None => CallResult::Connector(Err(bindings::ConnectorError::Other(
                        "this event does not exist in contract 0.1.0, which the connector is built against".into(),
                    ))),
                },
                Call::Webhook(request) => CallResult::Webhook(
                    c.call_handle_webhook(store, &adapt::webhook_request(request))
                        .await?
                        .adapt(),
                ),
            }),
        }
    }
}
