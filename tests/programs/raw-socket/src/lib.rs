//! Tries to reach the network through raw sockets instead of the host's
//! filtered HTTP: a name lookup, then a TCP connection to the configured
//! address. The host grants no network, so both must be refused.

use std::io::Write;

use lockgate_sdk::prelude::*;

struct RawSocket;

impl Connector for RawSocket {
    fn sync(_trigger: Trigger) -> Result<(), Error> {
        let address = config::get("address").unwrap_or_default();
        let lookup =
            std::net::ToSocketAddrs::to_socket_addrs(&("localhost", 80)).map(|found| found.count());
        lockgate_sdk::log::info(&format!("name lookup: {lookup:?}"));
        let mut stream = std::net::TcpStream::connect(address.as_str())
            .map_err(|e| Error::Unreachable(format!("connect {address}: {e}")))?;
        stream
            .write_all(b"GET /latest/meta-data/ HTTP/1.0\r\n\r\n")
            .map_err(|e| Error::Unreachable(e.to_string()))?;
        Ok(())
    }
}

lockgate_sdk::export_connector!(RawSocket);
