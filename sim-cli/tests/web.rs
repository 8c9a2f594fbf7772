//! `ksim web`: serves a folder on 127.0.0.1 with the right MIME types, and nothing
//! outside it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    String::from_utf8_lossy(&out).to_string()
}

#[test]
fn serves_the_site_folder_with_wasm_as_application_wasm() {
    let dir = std::env::temp_dir().join(format!("ksim-web-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>ksim</title>").unwrap();
    std::fs::write(dir.join("pkg/sim_web_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let mut child =
        Command::new(env!("CARGO_BIN_EXE_ksim")).args(["web", "--port", "0", "--dir", dir.to_str().unwrap()]).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.split("http://").nth(1).and_then(|r| r.split('/').next()).unwrap_or_else(|| panic!("no URL in {line:?}")).to_string();
    let index = get(&addr, "/?scenario=node-crash&t=1m");
    let wasm = get(&addr, "/pkg/sim_web_bg.wasm");
    let outside = get(&addr, "/../Cargo.toml");
    let missing = get(&addr, "/nope.js");
    child.kill().unwrap();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(index.starts_with("HTTP/1.1 200 OK") && index.contains("Content-Type: text/html") && index.ends_with("<title>ksim</title>"), "{index}");
    assert!(wasm.starts_with("HTTP/1.1 200 OK") && wasm.contains("Content-Type: application/wasm\r\n") && wasm.contains("Content-Length: 8\r\n"), "{wasm}");
    assert!(outside.starts_with("HTTP/1.1 404"), "{outside}");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
}
