//! Domain controllers (authentication and name service traffic, SYSVOL replication,
//! administrators' diagnostics) and workstations (browsers, Office, Teams, OneDrive,
//! search, and developers' Node tooling that shells out).

use super::windows::{INTERNET, console_session, daemon, remote};
use super::{Ctx, Procs, Remote, Timed, run_one};
use crate::catalog::{self as c, User};
use crate::host::feature;
use crate::rng::Rng;

pub fn setup_dc(rng: &mut Rng, procs: &mut Procs) {
    let services = procs.services;
    let system = procs.system;
    let lsass = daemon(
        rng,
        &system,
        &c::LSASS,
        r"C:\Windows\system32\lsass.exe",
        "",
        User::SYSTEM,
    );
    let dns = daemon(
        rng,
        &services,
        &c::DNS,
        r"C:\Windows\system32\dns.exe",
        "",
        User::SYSTEM,
    );
    let dfsr = daemon(
        rng,
        &services,
        &c::DFSRS,
        r"C:\Windows\system32\DFSRs.exe",
        "",
        User::SYSTEM,
    );
    procs.daemons.extend([lsass, dns, dfsr]);
}

pub fn setup_workstation(rng: &mut Rng, procs: &mut Procs) {
    let explorer = procs.explorer;
    let user = procs.user;
    let outlook = daemon(
        rng,
        &explorer,
        &c::OUTLOOK,
        r#""{a}" "#,
        c::OUTLOOK.path,
        user,
    );
    let teams = daemon(
        rng,
        &explorer,
        &c::TEAMS,
        r#""{a}" msteams:system-initiated"#,
        c::TEAMS.path,
        user,
    );
    let onedrive = daemon(
        rng,
        &explorer,
        &c::ONEDRIVE,
        r#""{a}" /background"#,
        c::ONEDRIVE.path,
        user,
    );
    procs.daemons.extend([outlook, teams, onedrive]);
}

pub fn domain_controller(cx: &mut Ctx<'_>) {
    run_one(
        cx,
        &[
            (44, authentication),
            (22, name_service),
            (8, replication),
            (6, diagnostics),
        ],
    );
}

/// Kerberos, LDAP and global catalog requests from the fleet.
fn authentication(cx: &mut Ctx<'_>) {
    let Some(lsass) = cx.procs.daemon(&c::LSASS) else {
        return;
    };
    for _ in 0..cx.rng.range(2, 6) {
        let port = *cx.rng.pick(&[88u16, 389, 389, 636, 3268, 445]);
        let client = cx.client_ip();
        cx.accept(&lsass, port, client);
        cx.wait_ms(1, 300);
    }
}

fn name_service(cx: &mut Ctx<'_>) {
    let Some(dns) = cx.procs.daemon(&c::DNS) else {
        return;
    };
    for _ in 0..cx.rng.range(1, 3) {
        let client = cx.client_ip();
        cx.accept(&dns, 53, client);
    }
    let forwarder = Remote {
        name: "",
        ip: [1, 1, 1, 1],
        port: 53,
    };
    cx.connect(&dns, &forwarder);
}

fn replication(cx: &mut Ctx<'_>) {
    let Some(dfsr) = cx.procs.daemon(&c::DFSRS) else {
        return;
    };
    cx.file(
        &dfsr,
        r"C:\Windows\SYSVOL\domain\Policies\{{{G}}}\{=GPT.INI|Machine\Registry.pol|User\Registry.pol|Machine\Microsoft\Windows NT\SecEdit\GptTmpl.inf}",
        "",
    );
    cx.connect(
        &dfsr,
        &Remote {
            name: "dc02.corp.example",
            ip: [10, 15, 0, 5],
            port: 5722,
        },
    );
}

/// An administrator checks replication, time and the domain controller list.
fn diagnostics(cx: &mut Ctx<'_>) {
    console_session(
        cx,
        &[
            (&c::REPADMIN, "repadmin /replsummary"),
            (&c::REPADMIN, "repadmin /showrepl dc02"),
            (&c::DCDIAG, "dcdiag /q"),
            (&c::W32TM, "w32tm /query /status"),
            (&c::NLTEST, "nltest /dclist:corp.example"),
        ],
    );
}

pub fn workstation(cx: &mut Ctx<'_>) {
    run_one(
        cx,
        &[
            (34, browse),
            (12, office),
            (14, mail),
            (10, sync),
            (8, search),
        ],
    );
}

/// A developer's builds and test runs, a few times a day.
pub const WORKSTATION_TIMED: &[Timed] = &[(6.0, feature::DEVELOPER, developer)];

const SITES: [Remote; 6] = [
    remote("www.office.com", [52, 113, 194, 132], 443),
    remote("contoso.sharepoint.com", [13, 107, 136, 10], 443),
    remote("www.bing.com", [204, 79, 197, 200], 443),
    remote("www.google.com", [142, 250, 185, 196], 443),
    remote("intranet.corp.example", [10, 10, 1, 21], 443),
    remote("www.linkedin.com", [13, 107, 42, 14], 443),
];

/// A browser session: the main process, its renderers and utilities, connections, files.
fn browse(cx: &mut Ctx<'_>) {
    let explorer = cx.procs.explorer;
    let user = cx.procs.user;
    let (bin, main_cmd, child_cmd) = if cx.rng.chance(0.65) {
        (
            &c::MSEDGE,
            r#""C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --single-argument {=https://contoso.sharepoint.com/sites/intranet|https://www.office.com/|https://intranet.corp.example/}"#,
            r#""C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --type={=renderer|utility|gpu-process|crashpad-handler} --string-annotations --lang=en-US --js-flags=--ms-user-locale= --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id={n5-90} --time-ticks-at-unix-epoch=-{d16} --launch-time-ticks={d11} --mojo-platform-channel-handle={n1000-9999} --field-trial-handle={n1000-9999},i,{d19},{d19},262144 --variations-seed-version /prefetch:{n1-8}"#,
        )
    } else {
        (
            &c::CHROME,
            r#""C:\Program Files\Google\Chrome\Application\chrome.exe" "#,
            r#""C:\Program Files\Google\Chrome\Application\chrome.exe" --type={=renderer|utility|gpu-process} --lang=en-US --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id={n5-90} --time-ticks-at-unix-epoch=-{d16} --launch-time-ticks={d11} --mojo-platform-channel-handle={n1000-9999} --field-trial-handle={n1000-9999},i,{d19},{d19},262144 /prefetch:{n1-8}"#,
        )
    };
    let main = cx.start(&explorer, bin, main_cmd, "", user);
    let mut children = Vec::new();
    for _ in 0..cx.rng.range(2, 6) {
        children.push(cx.start(&main, bin, child_cmd, "", user));
    }
    for _ in 0..cx.rng.range(2, 6) {
        cx.wait_ms(100, 20_000);
        let site = *cx.rng.pick(&SITES);
        cx.connect(&main, &site);
    }
    if cx.rng.chance(0.4) {
        cx.file(
            &main,
            r"C:\Users\{a}\AppData\Local\Microsoft\Edge\User Data\Default\Cache\Cache_Data\f_{x6}",
            user.name,
        );
    }
    if cx.rng.chance(0.15) {
        cx.file(
            &main,
            r"C:\Users\{a}\Downloads\{w}-{d4}.{=pdf|xlsx|docx|zip|png}",
            user.name,
        );
    }
    cx.wait_s(30, 1_800);
    for child in &children {
        cx.end(&main, child);
    }
    cx.end(&explorer, &main);
}

fn office(cx: &mut Ctx<'_>) {
    let explorer = cx.procs.explorer;
    let user = cx.procs.user;
    let word = cx.start(
        &explorer,
        &c::WINWORD,
        r#""C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n "C:\Users\{a}\Documents\{w}-{d4}.docx" /o """#,
        user.name,
        user,
    );
    cx.connect(&word, &SITES[1]);
    cx.wait_s(5, 60);
    cx.file(
        &word,
        r"C:\Users\{a}\AppData\Roaming\Microsoft\Word\~WRL{d4}.tmp",
        user.name,
    );
    cx.wait_s(60, 1_800);
    cx.end(&explorer, &word);
}

fn mail(cx: &mut Ctx<'_>) {
    let Some(outlook) = cx.procs.daemon(&c::OUTLOOK) else {
        return;
    };
    cx.connect(&outlook, &INTERNET[7]);
    if cx.rng.chance(0.3) {
        let user = cx.procs.user;
        cx.file(
            &outlook,
            r"C:\Users\{a}\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook\{X8}\{w}-{d4}.{=pdf|xlsx|docx|png}",
            user.name,
        );
    }
}

fn sync(cx: &mut Ctx<'_>) {
    let user = cx.procs.user;
    if cx.rng.chance(0.5) {
        if let Some(onedrive) = cx.procs.daemon(&c::ONEDRIVE) {
            cx.connect(&onedrive, &SITES[1]);
            cx.file(
                &onedrive,
                r"C:\Users\{a}\OneDrive - Contoso\Documents\{w}-{d4}.{=xlsx|docx|pptx|pdf}",
                user.name,
            );
        }
    } else if let Some(teams) = cx.procs.daemon(&c::TEAMS) {
        cx.connect(
            &teams,
            &Remote {
                name: "teams.microsoft.com",
                ip: [52, 113, 194, 132],
                port: 443,
            },
        );
    }
}

fn search(cx: &mut Ctx<'_>) {
    let services = cx.procs.services;
    let host = cx.start(
        &services,
        &c::SEARCHPROTOCOLHOST,
        r#""C:\Windows\system32\SearchProtocolHost.exe" Global\UsGthrFltPipeMssGthrPipe{n1-99}_ Global\UsGthrCtrlFltPipeMssGthrPipe{n1-99} 1 -2147483646 "Software\Microsoft\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 6.0 Robot)" "C:\ProgramData\Microsoft\Search\Data\Temp\usgthrsvc" "DownLevelDaemon" "1""#,
        "",
        User::SYSTEM,
    );
    cx.wait_s(5, 120);
    cx.end(&services, &host);
}

/// A developer's Node tooling: `npm run` scripts run through `cmd.exe /d /s /c`, so a
/// `node.exe` parent starts a shell on a workstation too.
fn developer(cx: &mut Ctx<'_>) {
    if !cx.host.has(feature::DEVELOPER) {
        return browse(cx);
    }
    let user = cx.procs.user;
    let window = cx.open_console();
    let shell = window.0;
    let git = cx.start(
        &shell,
        &c::GIT,
        r#"git  {=status|pull --rebase|log --oneline -n 20|fetch --all}"#,
        "",
        user,
    );
    cx.connect(&git, &INTERNET[9]);
    cx.end(&shell, &git);
    if cx.rng.chance(0.6) {
        let node = cx.start(&shell, &c::NODE, r#""C:\Program Files\nodejs\node.exe" "C:\Program Files\nodejs\node_modules\npm\bin\npm-cli.js" run {=build|test|lint}"#, "", user);
        cx.connect(&node, &INTERNET[10]);
        let script = cx.start(&node, &c::CMD, r#"C:\Windows\system32\cmd.exe /d /s /c "{=vite build|jest --ci|eslint src --ext .ts,.tsx}""#, "", user);
        let worker = cx.start(&script, &c::NODE, r#""C:\Program Files\nodejs\node.exe" "C:\Users\{a}\source\repos\web-app\node_modules\.bin\..\{=vite\bin\vite.js|jest\bin\jest.js|eslint\bin\eslint.js}""#, user.name, user);
        cx.wait_s(2, 90);
        cx.end(&script, &worker);
        cx.end(&node, &script);
        cx.end(&shell, &node);
    }
    cx.wait_s(10, 600);
    cx.close_console(window);
}
