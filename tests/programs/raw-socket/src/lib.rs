//! Tries to reach the network through raw sockets instead of the host's
//! filtered HTTP. Inspection must refuse the component before it runs.

use std::io::Write;

use lockgate_sdk::prelude::*;

struct RawSocket;

impl Connector for RawSocket {
    fn sync(_trigger: Trigger) -> Result<(), Error> {
        let mut stream = std::net::TcpStream::connect("169.254.169.254:80")
            .map_err(|e| Error::Unreachable(e.to_string()))?;
        stream
            .write_all(b"GET /latest/meta-data/ HTTP/1.0\r\n\r\n")
            .map_err(|e| Error::Unreachable(e.to_string()))?;
        Ok(())
    }
}

lockgate_sdk::export_connector!(RawSocket);
