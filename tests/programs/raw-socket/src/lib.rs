//! Tries to reach the network through raw sockets instead of the host's
//! filtered HTTP: a TCP connection to `target`, a name lookup and a UDP
//! datagram. The host links `wasi:sockets` (language runtimes import it)
//! but turns TCP, UDP and name lookup off, so each attempt must fail.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};

use lockgate_sdk::prelude::*;

struct RawSocket;

impl Connector for RawSocket {
    fn sync(_trigger: Trigger) -> Result<(), Error> {
        let target = config::require("target")?;
        let lookup = match ("localhost", 80).to_socket_addrs() {
            Ok(found) => format!("resolved {:?}", found.collect::<Vec<_>>()),
            Err(e) => format!("refused ({e})"),
        };
        log::info(&format!("name lookup: {lookup}"));
        let udp = match UdpSocket::bind("127.0.0.1:0").and_then(|s| s.send_to(b"x", &target)) {
            Ok(n) => format!("sent {n} bytes"),
            Err(e) => format!("refused ({e})"),
        };
        log::info(&format!("udp: {udp}"));
        let mut stream =
            TcpStream::connect(&target).map_err(|e| Error::Unreachable(format!("tcp: {e}")))?;
        stream
            .write_all(b"GET / HTTP/1.0\r\n\r\n")
            .map_err(|e| Error::Unreachable(e.to_string()))?;
        Ok(())
    }
}

lockgate_sdk::export_connector!(RawSocket);
