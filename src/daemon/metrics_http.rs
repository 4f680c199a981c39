//! The metrics endpoint: HTTP/1.1 from hyper on the daemon's own single-threaded runtime. It
//! answers `GET /metrics` with the OpenMetrics text and little else, bounds how many scrapers it
//! serves at once and how long one may take to send its request, and costs nothing while idle
//! (a task waiting in `accept`).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use super::error::DaemonError;
use super::metrics::Metrics;

/// Prometheus asks for this type and parses it (including the final `# EOF`).
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// Scrapers served at once; more are turned away (closed) until one finishes.
const MAX_CONNECTIONS: usize = 16;
/// A client must have sent its request head within this long.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds the listener; the daemon refuses to start when it cannot.
pub async fn bind(addr: std::net::SocketAddr) -> Result<TcpListener, DaemonError> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| DaemonError::fatal(format!("--metrics-listen {addr}: cannot listen: {e}")))
}

/// Serves until the runtime ends.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    let open = Arc::new(AtomicUsize::new(0));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, say: wait instead of spinning on the error.
                tracing::warn!(error = %e, "metrics endpoint: cannot accept a connection");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if open.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::AcqRel);
            continue;
        }
        let metrics = Arc::clone(&metrics);
        let open = Arc::clone(&open);
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let reply = respond(&metrics, &req);
                async move { Ok::<_, Infallible>(reply) }
            });
            let served = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(e) = served {
                tracing::debug!(error = %e, "metrics endpoint: connection ended with an error");
            }
            open.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

fn respond(metrics: &Metrics, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let reply = |status: StatusCode, body: String| {
        let mut r = Response::new(Full::new(Bytes::from(body)));
        *r.status_mut() = status;
        r
    };
    let head = req.method() == Method::HEAD;
    match req.uri().path() {
        "/metrics" if req.method() == Method::GET || head => {
            let body = if head {
                String::new()
            } else {
                metrics.encode()
            };
            let mut r = reply(StatusCode::OK, body);
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(OPENMETRICS));
            r
        }
        "/metrics" => {
            let mut r = reply(StatusCode::METHOD_NOT_ALLOWED, "use GET /metrics\n".into());
            r.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            r
        }
        _ => reply(
            StatusCode::NOT_FOUND,
            "perfassist serves its metrics at /metrics\n".into(),
        ),
    }
}
