//! `ksim web`: serves the browser demo (`sim-web/dist/`, built by scripts/build-web.sh)
//! on 127.0.0.1 — a small static file server on std::net (GET and HEAD, one thread per
//! connection, no directory listings, nothing outside the folder).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// The folder to serve: `dir`, else `sim-web/dist` here or next to the workspace the
/// binary was built in (`target/release/ksim` → `sim-web/dist`).
fn site_dir(dir: Option<&str>) -> Option<PathBuf> {
    if let Some(d) = dir {
        return Some(PathBuf::from(d));
    }
    let here = PathBuf::from("sim-web/dist");
    if here.join("index.html").is_file() {
        return Some(here);
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors().skip(1).map(|a| a.join("sim-web/dist")).find(|p| p.join("index.html").is_file())
}

pub fn serve(port: u16, dir: Option<&str>) -> u8 {
    let mut err = anstream::stderr();
    let Some(root) = site_dir(dir).filter(|d| d.join("index.html").is_file()) else {
        let _ = writeln!(err, "error: no site to serve: build it first with scripts/build-web.sh (it writes sim-web/dist/)");
        return 2;
    };
    let listener = match TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "error: cannot listen on 127.0.0.1:{port}: {e}");
            return 2;
        }
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    println!("serving {} on http://{addr}/ (Ctrl-C to stop)", root.display());
    for stream in listener.incoming().flatten() {
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = handle(stream, &root);
        });
    }
    0
}

fn handle(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.by_ref().take(8192).read_line(&mut line)?;
    // Skip the headers (bounded).
    let mut header = String::new();
    for _ in 0..100 {
        header.clear();
        if reader.by_ref().take(8192).read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "GET" && method != "HEAD" {
        return respond(&mut stream, "405 Method Not Allowed", "text/plain", b"method not allowed\n", method == "HEAD");
    }
    let Some(path) = resolve(root, target) else {
        return respond(&mut stream, "404 Not Found", "text/plain", b"not found\n", method == "HEAD");
    };
    match std::fs::read(&path) {
        Ok(body) => respond(&mut stream, "200 OK", mime(&path), &body, method == "HEAD"),
        Err(_) => respond(&mut stream, "404 Not Found", "text/plain", b"not found\n", method == "HEAD"),
    }
}

/// The file a request target names inside `root` (`/` → index.html); None if it
/// would leave the folder.
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode(path)?;
    let mut out = root.to_path_buf();
    for c in Path::new(decoded.trim_start_matches('/')).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn mime(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "yaml" | "yml" => "text/yaml; charset=utf-8",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &[u8], head: bool) -> std::io::Result<()> {
    let header =
        format!("HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n", body.len());
    stream.write_all(header.as_bytes())?;
    if !head {
        stream.write_all(body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_stay_inside_the_folder() {
        let root = Path::new("/site");
        assert_eq!(resolve(root, "/pkg/sim_web.js?x=1"), Some(PathBuf::from("/site/pkg/sim_web.js")));
        assert_eq!(resolve(root, "/a%20b.yaml"), Some(PathBuf::from("/site/a b.yaml")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/%2e%2e/etc/passwd"), None);
        assert_eq!(mime(Path::new("x/sim_web_bg.wasm")), "application/wasm");
    }
}
