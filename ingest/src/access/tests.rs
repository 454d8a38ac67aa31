//! The access-log formats through the [`Parser`]: fields, times, escapes, decoded forms,
//! W3C headers per input, and every kind of bad line rejected with its reason.

use crate::{
    AccessFormat, Event, FieldId, FieldMap, FieldPlan, FieldPlanBuilder, Parsed, Parser, Schema,
};

const EXTRA: [&str; 9] = [
    "date",
    "time",
    "cs-cookie",
    "time-taken",
    "s-port",
    "s-sitename",
    "request",
    "cs-x-forwarded-for",
    "c-useragent",
];

fn plan() -> FieldPlan {
    let mut builder = FieldPlanBuilder::new(FieldMap::builtin());
    for name in EXTRA {
        builder.field(name);
    }
    builder.build()
}

fn get(event: &Event<'_>, name: &str) -> Option<String> {
    let field = event.plan().lookup(name).expect("planned");
    event
        .bytes(field)
        .map(|b| String::from_utf8_lossy(b).into_owned())
}

fn forms(event: &Event<'_>, name: &str) -> Vec<String> {
    let field = event.plan().lookup(name).expect("planned");
    event
        .forms(field)
        .filter_map(|v| {
            v.as_bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned())
        })
        .collect()
}

fn reject(parser: &mut Parser, plan: &FieldPlan, line: &str) -> &'static str {
    match parser.parse(plan, line.as_bytes()) {
        Err(r) => r.key(),
        Ok(_) => panic!("accepted: {line}"),
    }
}

const COMBINED: &str = r#"203.0.113.9 - alice [10/Oct/2026:13:55:36 -0700] "GET /shop/item.php?id=42&q=a+b HTTP/1.1" 200 2326 "https://example.com/start?x=1" "Mozilla/5.0 (X11; Linux x86_64)""#;

#[test]
fn combined_lines_fill_the_webserver_fields() {
    let plan = plan();
    let mut parser = Parser::new();
    let event = parser
        .parse(&plan, COMBINED.as_bytes())
        .unwrap()
        .event()
        .unwrap();
    assert_eq!(event.schema(), Schema::AccessLog);
    assert_eq!(event.kind(), crate::EventKind::WebRequest);
    assert_eq!(event.access_format(), Some(AccessFormat::Combined));
    assert_eq!(
        event.timestamp().map(|t| t.to_string()).as_deref(),
        Some("2026-10-10T20:55:36Z")
    );
    let expect = [
        ("c-ip", Some("203.0.113.9")),
        ("cs-username", Some("alice")),
        ("cs-method", Some("GET")),
        ("cs-uri", Some("/shop/item.php?id=42&q=a+b")),
        ("cs-uri-stem", Some("/shop/item.php")),
        // SigmaHQ's usage: the whole target (see mappings/fields.yml).
        ("cs-uri-query", Some("/shop/item.php?id=42&q=a+b")),
        ("cs-version", Some("HTTP/1.1")),
        ("sc-status", Some("200")),
        ("sc-bytes", Some("2326")),
        ("cs-referer", Some("https://example.com/start?x=1")),
        ("cs-user-agent", Some("Mozilla/5.0 (X11; Linux x86_64)")),
        ("c-useragent", Some("Mozilla/5.0 (X11; Linux x86_64)")),
        ("request", Some("GET /shop/item.php?id=42&q=a+b HTTP/1.1")),
        ("Computer", None),
        ("cs-host", None),
    ];
    for (name, value) in expect {
        assert_eq!(get(&event, name).as_deref(), value, "{name}");
    }
    // `+` is a space in the query's decoded form; the path has no escapes.
    assert_eq!(
        forms(&event, "cs-uri"),
        ["/shop/item.php?id=42&q=a+b", "/shop/item.php?id=42&q=a b"]
    );
    assert_eq!(forms(&event, "cs-uri-stem"), ["/shop/item.php"]);
}

#[test]
fn common_lines_escapes_and_dashes() {
    let plan = plan();
    let mut parser = Parser::new();
    let common = r#"::1 - - [01/Jan/2026:00:00:00 +0000] "POST /login HTTP/1.0" 302 -"#;
    let event = parser
        .parse(&plan, common.as_bytes())
        .unwrap()
        .event()
        .unwrap();
    assert_eq!(event.access_format(), Some(AccessFormat::Common));
    assert_eq!(get(&event, "c-ip").as_deref(), Some("::1"));
    assert_eq!(get(&event, "cs-username"), None);
    assert_eq!(get(&event, "sc-bytes"), None);
    assert_eq!(get(&event, "cs-user-agent"), None);

    // Apache escapes quotes and bytes in quoted fields; nginx's `main` adds a field.
    let escaped = r#"198.51.100.4 - - [01/Jan/2026:00:00:01 +0000] "GET /a\"b\x41 HTTP/1.1" 400 0 "-" "say \"hi\" \\o/" "10.0.0.1""#;
    let event = parser
        .parse(&plan, escaped.as_bytes())
        .unwrap()
        .event()
        .unwrap();
    assert_eq!(get(&event, "cs-uri").as_deref(), Some("/a\"bA"));
    assert_eq!(
        get(&event, "cs-user-agent").as_deref(),
        Some(r#"say "hi" \o/"#)
    );
    assert_eq!(get(&event, "cs-referer"), None);

    // A TLS handshake sent to a plain-HTTP port: an event without method or target.
    let handshake =
        r#"192.0.2.1 - - [01/Jan/2026:00:00:02 +0000] "\x16\x03\x01\x00\xa5\x01" 400 226 "-" "-""#;
    let event = parser
        .parse(&plan, handshake.as_bytes())
        .unwrap()
        .event()
        .unwrap();
    assert_eq!(get(&event, "cs-method"), None);
    assert_eq!(get(&event, "cs-uri"), None);
    assert_eq!(get(&event, "sc-status").as_deref(), Some("400"));
}

#[test]
fn bad_text_lines_are_rejected_with_a_reason() {
    let plan = plan();
    let mut parser = Parser::new();
    let cases = [
        ("hello world", "unknown_line_format"),
        ("\u{0}\u{0}\u{0}", "unknown_line_format"),
        ("# a comment", "unknown_line_format"),
        ("2026-11-20 10:00:00 GET /", "w3c_no_fields"),
        // Cut off at every point after the head.
        (
            r#"1.2.3.4 - - [10/Oct/2026:13:55:36 -0700"#,
            "access_log_truncated",
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2026:13:55:36 -0700]"#,
            "access_log_truncated",
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2026:13:55:36 -0700] "GET / HT"#,
            "access_log_truncated",
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1""#,
            "access_log_truncated",
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1" 200 12 "-" "Mozi"#,
            "access_log_truncated",
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1" 200 12 "-" "a\"#,
            "access_log_truncated",
        ),
        // Bad dates and fields.
        (
            r#"1.2.3.4 - - [31/Feb/2026:13:55:36 -0700] "GET / HTTP/1.1" 200 12"#,
            "access_log_bad_time",
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2026 13:55:36] "GET / HTTP/1.1" 200 12"#,
            "access_log_bad_time",
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1" OK 12"#,
            "access_log_bad_field",
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1" 200 12 "-""#,
            "access_log_truncated",
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2026:13:55:36 -0700] "GET / HTTP/1.1" 200 12 x"#,
            "access_log_bad_field",
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2026:13:55:36 -0700] GET / 200 12"#,
            "access_log_bad_field",
        ),
    ];
    for (line, reason) in cases {
        assert_eq!(reject(&mut parser, &plan, line), reason, "{line}");
    }
}

const W3C_HEAD: [&str; 4] = [
    "#Software: Microsoft Internet Information Services 10.0",
    "#Version: 1.0",
    "#Date: 2026-11-20 09:59:00",
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
];

#[test]
fn w3c_lines_follow_the_latest_fields_directive() {
    let plan = plan();
    let mut parser = Parser::new();
    for head in W3C_HEAD {
        assert!(matches!(
            parser.parse(&plan, head.as_bytes()),
            Ok(Parsed::Header)
        ));
    }
    let line = "2026-11-20 10:00:01 10.0.0.5 GET /owa/auth/x.aspx id=%27%2520or%25201=1 443 - 198.51.100.7 Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 15";
    let event = parser
        .parse(&plan, line.as_bytes())
        .unwrap()
        .event()
        .unwrap();
    assert_eq!(event.access_format(), Some(AccessFormat::W3c));
    assert_eq!(
        event.timestamp().map(|t| t.to_string()).as_deref(),
        Some("2026-11-20T10:00:01Z")
    );
    assert_eq!(
        get(&event, "cs-uri-stem").as_deref(),
        Some("/owa/auth/x.aspx")
    );
    assert_eq!(
        get(&event, "cs-uri").as_deref(),
        Some("/owa/auth/x.aspx?id=%27%2520or%25201=1")
    );
    assert_eq!(
        get(&event, "cs-user-agent").as_deref(),
        Some("Mozilla/5.0 (Windows NT 10.0)")
    );
    assert_eq!(get(&event, "cs-referer"), None);
    assert_eq!(get(&event, "cs-username"), None);
    assert_eq!(get(&event, "s-port").as_deref(), Some("443"));
    assert_eq!(get(&event, "time-taken").as_deref(), Some("15"));
    // Decoded once, then twice (double encoding).
    assert_eq!(
        forms(&event, "cs-uri"),
        [
            "/owa/auth/x.aspx?id=%27%2520or%25201=1",
            "/owa/auth/x.aspx?id='%20or%201=1",
            "/owa/auth/x.aspx?id=' or 1=1"
        ]
    );

    // The header changes mid-file: the next lines follow the new one, other columns
    // keep their names, and `#Date:` dates lines without a `date` field.
    let new_fields = "#Fields: time c-ip cs-method cs-uri-stem sc-status s-computername cs(Cookie) cs(X-Forwarded-For)";
    assert!(matches!(
        parser.parse(&plan, new_fields.as_bytes()),
        Ok(Parsed::Header)
    ));
    let line = "10:05:00 198.51.100.8 POST /api/x 500 WEB01 session=a+b 203.0.113.1";
    let event = parser
        .parse(&plan, line.as_bytes())
        .unwrap()
        .event()
        .unwrap();
    assert_eq!(
        event.timestamp().map(|t| t.to_string()).as_deref(),
        Some("2026-11-20T10:05:00Z")
    );
    assert_eq!(get(&event, "Computer").as_deref(), Some("WEB01"));
    assert_eq!(get(&event, "cs-cookie").as_deref(), Some("session=a b"));
    assert_eq!(
        get(&event, "cs-x-forwarded-for").as_deref(),
        Some("203.0.113.1")
    );
    assert_eq!(get(&event, "cs-uri").as_deref(), Some("/api/x"));
    assert_eq!(
        reject(&mut parser, &plan, "10:05:00 198.51.100.8 POST /api/x 500"),
        "w3c_field_count"
    );
    assert_eq!(
        reject(
            &mut parser,
            &plan,
            "25:05:00 198.51.100.8 POST /api/x 500 WEB01 - -"
        ),
        "access_log_bad_time"
    );
    assert_eq!(
        reject(
            &mut parser,
            &plan,
            "10:05:00 198.51.100.8 POST /api/x 5xx WEB01 - -"
        ),
        "access_log_bad_field"
    );
    // JSON and CLF lines still read as themselves in a W3C input.
    assert!(parser.parse(&plan, COMBINED.as_bytes()).is_ok());

    // A new input forgets the header.
    parser.begin_source();
    assert_eq!(reject(&mut parser, &plan, line), "unknown_line_format");
    assert_eq!(
        reject(
            &mut parser,
            &plan,
            "2026-11-20 10:00:01 10.0.0.5 GET / - 443"
        ),
        "w3c_no_fields"
    );
}

#[test]
fn nginx_json_lines_are_access_logs() {
    let plan = plan();
    let mut parser = Parser::new();
    let line = r#"{"time_local":"20/Nov/2026:10:00:00 +0100","remote_addr":"203.0.113.50","remote_user":"-","request":"GET /api/v1/users?name=%24%7Bjndi:ldap://x%7D HTTP/2.0","status":"404","body_bytes_sent":"153","http_referer":"","http_user_agent":"curl/8.4.0","hostname":"nginx-01","http_host":"shop.example.com"}"#;
    let event = parser
        .parse(&plan, line.as_bytes())
        .unwrap()
        .event()
        .unwrap();
    assert_eq!(event.schema(), Schema::AccessLog);
    assert_eq!(event.access_format(), Some(AccessFormat::NginxJson));
    assert_eq!(
        event.timestamp().map(|t| t.to_string()).as_deref(),
        Some("2026-11-20T09:00:00Z")
    );
    assert_eq!(get(&event, "cs-method").as_deref(), Some("GET"));
    assert_eq!(get(&event, "cs-uri-stem").as_deref(), Some("/api/v1/users"));
    assert_eq!(get(&event, "cs-version").as_deref(), Some("HTTP/2.0"));
    assert_eq!(get(&event, "sc-status").as_deref(), Some("404"));
    assert_eq!(get(&event, "cs-username"), None);
    assert_eq!(get(&event, "cs-referer"), None);
    assert_eq!(get(&event, "Computer").as_deref(), Some("nginx-01"));
    assert_eq!(get(&event, "cs-host").as_deref(), Some("shop.example.com"));
    assert_eq!(
        forms(&event, "cs-uri-query"),
        [
            "/api/v1/users?name=%24%7Bjndi:ldap://x%7D",
            "/api/v1/users?name=${jndi:ldap://x}"
        ]
    );
    let mut strings = Vec::new();
    event.any_string(|s| {
        strings.push(String::from_utf8_lossy(s).into_owned());
        false
    });
    assert!(
        strings.contains(&"/api/v1/users?name=${jndi:ldap://x}".to_owned()),
        "{strings:?}"
    );

    // Without `request`, the parts nginx logged apart.
    let parts = r#"{"remote_addr":"10.1.1.1","request_uri":"/x?y=1","request_method":"HEAD","status":200,"msec":"1795161600.250"}"#;
    let event = parser
        .parse(&plan, parts.as_bytes())
        .unwrap()
        .event()
        .unwrap();
    assert_eq!(get(&event, "cs-method").as_deref(), Some("HEAD"));
    assert_eq!(get(&event, "cs-uri-stem").as_deref(), Some("/x"));
    assert_eq!(get(&event, "sc-status").as_deref(), Some("200"));
    assert_eq!(
        event.timestamp().map(|t| t.to_string()).as_deref(),
        Some("2026-11-20T08:00:00.250Z")
    );
    // `"time": "$time_iso8601"` or `"time": "$time_local"`, as many configurations log it.
    for (time, want) in [
        ("2026-11-20T10:00:00+01:00", "2026-11-20T09:00:00Z"),
        ("20/Nov/2026:10:00:00 +0100", "2026-11-20T09:00:00Z"),
    ] {
        let line = format!(
            r#"{{"time":"{time}","remote_addr":"10.1.1.1","request":"GET / HTTP/1.1","status":200}}"#
        );
        let event = parser
            .parse(&plan, line.as_bytes())
            .unwrap()
            .event()
            .unwrap();
        assert_eq!(
            event.timestamp().map(|t| t.to_string()).as_deref(),
            Some(want)
        );
    }
    // Without `status`, a JSON object of no known schema.
    assert_eq!(
        reject(
            &mut parser,
            &plan,
            r#"{"remote_addr":"10.1.1.1","request":"GET / HTTP/1.1"}"#
        ),
        "unknown_schema"
    );
}

#[test]
fn the_source_host_stands_in_for_a_missing_one() {
    let plan = plan();
    let mut parser = Parser::new();
    parser.set_source_host(Some("web07".into()));
    let event = parser
        .parse(&plan, COMBINED.as_bytes())
        .unwrap()
        .event()
        .unwrap();
    assert_eq!(event.host(), Some(&b"web07"[..]));
    assert_eq!(event.summary().host.as_deref(), Some("web07"));
    // A host of the event's own wins.
    let json = r#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"ws1"}"#;
    let event = parser
        .parse(&plan, json.as_bytes())
        .unwrap()
        .event()
        .unwrap();
    assert_eq!(event.host(), Some(&b"ws1"[..]));
    parser.begin_source();
    let event = parser
        .parse(&plan, COMBINED.as_bytes())
        .unwrap()
        .event()
        .unwrap();
    assert_eq!(event.host(), None);
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_line() {
    let plan = plan();
    let mut parser = Parser::new();
    let line = format!("\u{feff}{}", W3C_HEAD[0]);
    assert!(matches!(
        parser.parse(&plan, line.as_bytes()),
        Ok(Parsed::Header)
    ));
    let json = "\u{feff}{\"EventID\":1,\"Channel\":\"Security\",\"Hostname\":\"h\"}";
    assert!(parser.parse(&plan, json.as_bytes()).is_ok());
}

#[test]
fn summaries_carry_the_request() {
    let plan = plan();
    let mut parser = Parser::new();
    let event = parser
        .parse(&plan, COMBINED.as_bytes())
        .unwrap()
        .event()
        .unwrap();
    let summary = event.summary();
    assert_eq!(summary.format, Some(AccessFormat::Combined));
    let r = &summary.request;
    assert_eq!(r.client_ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(r.method.as_deref(), Some("GET"));
    assert_eq!(r.uri.as_deref(), Some("/shop/item.php?id=42&q=a+b"));
    assert_eq!(r.status.as_deref(), Some("200"));
    assert_eq!(
        r.user_agent.as_deref(),
        Some("Mozilla/5.0 (X11; Linux x86_64)")
    );
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["format"], "combined");
    assert_eq!(json["request"]["uri"], "/shop/item.php?id=42&q=a+b");
    assert!(event.bytes(FieldId::COMMAND_LINE).is_none());
}

/// Lines spliced from pieces of every format and random bytes: each is an event, a header
/// or a reject, and reading every field, form and summary of the events never panics
/// (every recorded span lies inside its buffer).
#[test]
fn spliced_lines_never_panic() {
    const PIECES: [&str; 24] = [
        "1.2.3.4",
        " ",
        "-",
        " [",
        "]",
        "10/Oct/2026:13:55:36 -0700",
        "\"",
        "\\\"",
        "\\x4",
        "GET",
        " /a?b=%25%3",
        "+",
        "%u00",
        " HTTP/1.1",
        "200",
        "#Fields: date time c-ip cs(User-Agent)",
        "2026-11-20",
        "10:00:00",
        "{",
        "\"remote_addr\":\"x\",\"request\":\"GET /\",\"status\":1",
        "}",
        "?",
        "%",
        "\u{e9}",
    ];
    let plan = plan();
    let mut parser = Parser::new();
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let names: Vec<FieldId> = (0..plan.field_count() as u32).map(FieldId).collect();
    let (mut events, mut headers) = (0, 0);
    for i in 0..30_000 {
        if i % 1000 == 0 {
            parser.begin_source();
        }
        // A line of each format, mutated a little; or pieces spliced at random.
        let mut line: Vec<u8> = match next(5) {
            0 => COMBINED.into(),
            1 => W3C_HEAD[3].into(),
            2 => "2026-11-20 10:00:01 10.0.0.5 GET /a/%2541 id=%27%2520or+1 443 - 198.51.100.7 Mozilla/5.0+(X) - 200 0 0 15".into(),
            3 => r#"{"time":"2026-11-20T10:00:00Z","remote_addr":"1.2.3.4","request":"GET /?q=%2524%257B HTTP/1.1","status":200,"http_cookie":"a=b+c%20"}"#.into(),
            _ => Vec::new(),
        };
        for _ in 0..next(4) {
            let at = next(line.len() as u64 + 1) as usize;
            let cut = (at + next(6) as usize).min(line.len());
            let insert: Vec<u8> = if next(3) == 0 {
                vec![next(256) as u8]
            } else {
                PIECES[next(PIECES.len() as u64) as usize]
                    .as_bytes()
                    .to_vec()
            };
            line.splice(at..cut, insert);
        }
        let parsed = parser.parse(&plan, &line);
        match &parsed {
            Ok(Parsed::Event(_)) => events += 1,
            Ok(Parsed::Header) => headers += 1,
            Err(_) => {}
        }
        if let Ok(Parsed::Event(event)) = parsed {
            for &field in &names {
                for value in event.forms(field) {
                    let _ = value.as_bytes();
                }
            }
            event.any_string(|_| false);
            let _ = event.summary();
        }
    }
    // The splicing reaches events and headers, not only rejects.
    assert!(
        events > 50 && headers > 50,
        "{events} events, {headers} headers"
    );
}
