//! Loopback addresses for tests.

/// A loopback port with nothing listening: it was bound, then let go.
pub async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    port
}
