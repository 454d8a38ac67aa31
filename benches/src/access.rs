//! Generated web access logs for the benchmarks: Apache `combined` lines, the same
//! requests as nginx JSON, and IIS W3C lines (~250-350 bytes each) of ordinary traffic,
//! some of it percent-encoded, with a known number of SQL injection attempts that the
//! built-in pack must find.

/// A generated access log and what the built-in pack must find in it.
pub struct AccessInput {
    pub bytes: Vec<u8>,
    /// Access-log entries (events).
    pub lines: u64,
    /// W3C directive lines.
    pub headers: u64,
    /// Entries holding an SQL injection: each raises one `access_log_sql_injection` alert.
    pub attacks: u64,
}

const PATHS: [&str; 8] = [
    "/",
    "/static/css/site.css",
    "/static/js/app.js",
    "/api/v1/products",
    "/search",
    "/account/orders",
    "/images/banner-2026.jpg",
    "/blog/2026/11/why-we-sleep-late",
];
const QUERIES: [&str; 8] = [
    "",
    "v=3.2.1",
    "page=2&sort=price_desc",
    "q=select+a+plan",
    "q=union+station%20map",
    "ref=%2Fhome%3Ftab%3Dnew",
    "id=42",
    "utm_source=newsletter&utm_medium=email",
];
const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "okhttp/4.12.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
];
const ATTACK: &str = "id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--";

/// A seeded xorshift generator: deterministic inputs.
fn rng(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut state = seed | 1;
    move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    }
}

/// One request in 128 is an attack.
struct Request {
    client: String,
    path: &'static str,
    query: &'static str,
    status: u16,
    bytes: u64,
    agent: &'static str,
    attack: bool,
}

fn request(next: &mut impl FnMut(u64) -> u64) -> Request {
    let attack = next(128) == 0;
    Request {
        client: format!("198.51.{}.{}", next(256), next(256)),
        path: PATHS[next(8) as usize],
        query: if attack {
            ATTACK
        } else {
            QUERIES[next(8) as usize]
        },
        status: [200, 200, 200, 304, 302, 404][next(6) as usize],
        bytes: next(90_000),
        agent: AGENTS[next(4) as usize],
        attack,
    }
}

/// `lines` requests written by `write`, which gets the line number, the request and its
/// target (path and query).
fn log(
    lines: u64,
    seed: u64,
    mut write: impl FnMut(u64, &Request, &str, &mut Vec<u8>),
) -> AccessInput {
    let mut next = rng(seed);
    let mut bytes = Vec::with_capacity(lines as usize * 300);
    let mut attacks = 0;
    for i in 0..lines {
        let r = request(&mut next);
        attacks += u64::from(r.attack);
        let target = if r.query.is_empty() {
            r.path.to_owned()
        } else {
            format!("{}?{}", r.path, r.query)
        };
        write(i, &r, &target, &mut bytes);
    }
    AccessInput {
        bytes,
        lines,
        headers: 0,
        attacks,
    }
}

/// `HH:MM:SS` of line `i`, one line a second.
fn clock(i: u64) -> String {
    format!("{:02}:{:02}:{:02}", (i / 3600) % 24, (i / 60) % 60, i % 60)
}

/// `lines` Apache combined lines.
pub fn combined_log(lines: u64, seed: u64) -> AccessInput {
    log(lines, seed, |i, r, target, out| {
        let line = format!(
            "{} - - [20/Nov/2026:{} +0100] \"GET {target} HTTP/1.1\" {} {} \"https://shop.example.com/\" \"{}\"\n",
            r.client,
            clock(i),
            r.status,
            r.bytes,
            r.agent
        );
        out.extend_from_slice(line.as_bytes());
    })
}

/// The requests of [`combined_log`] (same seed, same requests) as nginx JSON lines: the
/// same information for the JSON path, for comparing the two.
pub fn nginx_json_log(lines: u64, seed: u64) -> AccessInput {
    log(lines, seed, |i, r, target, out| {
        let line = format!(
            concat!(
                r#"{{"time_local":"20/Nov/2026:{} +0100","remote_addr":"{}","remote_user":"-","#,
                r#""request":"GET {} HTTP/1.1","status":"{}","body_bytes_sent":"{}","#,
                r#""http_referer":"https://shop.example.com/","http_user_agent":"{}"}}"#,
                "\n"
            ),
            clock(i),
            r.client,
            target,
            r.status,
            r.bytes,
            r.agent
        );
        out.extend_from_slice(line.as_bytes());
    })
}

/// `lines` IIS W3C lines, under a header block every 10,000 lines (as IIS writes one
/// when it restarts).
pub fn w3c_log(lines: u64, seed: u64) -> AccessInput {
    let mut headers = 0;
    let mut input = log(lines, seed, |i, r, _, out| {
        if i % 10_000 == 0 {
            out.extend_from_slice(
                b"#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-11-20 00:00:00\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n",
            );
            headers += 4;
        }
        let line = format!(
            "2026-11-20 {} 10.0.0.5 GET {} {} 443 - {} {} https://shop.example.com/ {} 0 0 {}\r\n",
            clock(i),
            r.path,
            if r.query.is_empty() { "-" } else { r.query },
            r.client,
            r.agent.replace(' ', "+"),
            r.status,
            r.bytes % 500
        );
        out.extend_from_slice(line.as_bytes());
    });
    input.headers = headers;
    input
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_deterministic_and_plant_attacks() {
        let a = combined_log(5000, 42);
        assert_eq!(a.bytes, combined_log(5000, 42).bytes);
        assert!(a.attacks > 10);
        let n = nginx_json_log(5000, 42);
        assert_eq!(n.attacks, a.attacks, "the same requests");
        let w = w3c_log(20_001, 42);
        assert_eq!(w.headers, 12);
        assert_eq!(
            w.bytes.iter().filter(|b| **b == b'\n').count() as u64,
            w.lines + w.headers
        );
    }
}
