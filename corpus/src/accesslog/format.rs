//! Access-log line formats: Apache combined, nginx JSON (`escape=json`) and IIS W3C
//! extended (with its `#` header).

use super::traffic::Request;
use crate::json::{Json, push_u64};
use crate::render::push_ip;
use crate::schema::Schema;
use crate::time::{Layout, push_time};

/// The server's own address, as IIS logs it.
const SERVER_IP: [u8; 4] = [10, 10, 1, 21];

/// Lines a file starts with (IIS writes its header; the others none).
pub fn header(schema: Schema, start: i64, out: &mut Vec<u8>) {
    if schema == Schema::Iis {
        out.extend_from_slice(
            b"#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: ",
        );
        push_time(out, start, Layout::W3c);
        out.extend_from_slice(b"\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n");
    }
}

/// How many lines [`header`] writes.
pub fn header_lines(schema: Schema) -> u64 {
    if schema == Schema::Iis { 4 } else { 0 }
}

/// Appends one request as a line.
pub fn line(schema: Schema, r: &Request, out: &mut Vec<u8>, tmp: &mut Vec<u8>) {
    match schema {
        Schema::NginxJson => nginx_json(r, out, tmp),
        Schema::Iis => iis(r, out, tmp),
        _ => combined(r, out, tmp),
    }
    out.push(b'\n');
}

/// Apache's escaping of logged strings: `"` and `\` backslashed, other unprintable bytes
/// as `\xhh`.
fn push_quoted(out: &mut Vec<u8>, value: &[u8]) {
    out.push(b'"');
    if value.is_empty() {
        out.push(b'-');
    }
    for &b in value {
        match b {
            b'"' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            0x20..=0x7e => out.push(b),
            _ => {
                out.extend_from_slice(b"\\x");
                crate::json::push_hex(out, u64::from(b), 2, false);
            }
        }
    }
    out.push(b'"');
}

/// Appends the request line's target: path, then `?query` when there is one.
fn target(r: &Request, tmp: &mut Vec<u8>) {
    r.path.write(tmp);
    let mark = tmp.len();
    tmp.push(b'?');
    r.query.write(tmp);
    if tmp.len() == mark + 1 {
        tmp.pop();
    }
}

fn combined(r: &Request, out: &mut Vec<u8>, tmp: &mut Vec<u8>) {
    push_ip(out, r.client);
    out.extend_from_slice(b" - - [");
    push_time(out, r.time, Layout::Clf);
    out.extend_from_slice(b"] ");
    tmp.clear();
    target(r, tmp);
    out.push(b'"');
    out.extend_from_slice(r.method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(tmp);
    out.extend_from_slice(b" HTTP/1.1\" ");
    push_u64(out, u64::from(r.status));
    out.push(b' ');
    push_u64(out, r.bytes);
    out.push(b' ');
    tmp.clear();
    r.referer.write(tmp);
    push_quoted(out, tmp);
    out.push(b' ');
    tmp.clear();
    r.agent.write(tmp);
    push_quoted(out, tmp);
}

fn nginx_json(r: &Request, out: &mut Vec<u8>, tmp: &mut Vec<u8>) {
    let mut j = Json::compact(out);
    j.begin();
    tmp.clear();
    push_time(tmp, r.time, Layout::IsoSeconds);
    j.str("time", tmp);
    tmp.clear();
    push_ip(tmp, r.client);
    j.str("remote_addr", tmp);
    j.str("remote_user", b"");
    tmp.clear();
    tmp.extend_from_slice(r.method.as_bytes());
    tmp.push(b' ');
    target(r, tmp);
    tmp.extend_from_slice(b" HTTP/1.1");
    j.str("request", tmp);
    j.num("status", u64::from(r.status));
    j.num("body_bytes_sent", r.bytes);
    j.key("request_time");
    push_u64(j.buf, u64::from(r.millis / 1_000));
    j.buf.push(b'.');
    crate::json::push_padded(j.buf, u64::from(r.millis % 1_000), 3);
    tmp.clear();
    r.referer.write(tmp);
    j.str("http_referer", tmp);
    tmp.clear();
    r.agent.write(tmp);
    j.str("http_user_agent", tmp);
    j.str("http_x_forwarded_for", b"");
    tmp.clear();
    r.api_version.write(tmp);
    j.str("http_x_api_version", tmp);
    j.end();
}

/// A W3C field: spaces become `+`, empty becomes `-`.
fn w3c_field(out: &mut Vec<u8>, value: &[u8]) {
    if value.is_empty() {
        out.push(b'-');
        return;
    }
    out.extend(value.iter().map(|&b| if b == b' ' { b'+' } else { b }));
}

fn iis(r: &Request, out: &mut Vec<u8>, tmp: &mut Vec<u8>) {
    push_time(out, r.time, Layout::W3c);
    out.push(b' ');
    push_ip(out, SERVER_IP);
    out.push(b' ');
    out.extend_from_slice(r.method.as_bytes());
    out.push(b' ');
    tmp.clear();
    r.path.write(tmp);
    w3c_field(out, tmp);
    out.push(b' ');
    tmp.clear();
    r.query.write(tmp);
    w3c_field(out, tmp);
    out.extend_from_slice(b" 443 - ");
    push_ip(out, r.client);
    out.push(b' ');
    tmp.clear();
    r.agent.write(tmp);
    w3c_field(out, tmp);
    out.push(b' ');
    tmp.clear();
    r.referer.write(tmp);
    w3c_field(out, tmp);
    out.push(b' ');
    push_u64(out, u64::from(r.status));
    out.extend_from_slice(b" 0 0 ");
    push_u64(out, u64::from(r.millis));
}
