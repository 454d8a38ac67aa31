//! What every Windows host does: services and scheduled tasks, Defender and Windows
//! Update, WMI and COM, DNS and telemetry connections, administrators' shells.

use super::{Ctx, Procs, apps, desk, exchange, iis, make_proc, run_one};
use crate::catalog::{self as c, User};
use crate::host::{Host, Role, feature};
use crate::model::Proc;
use crate::rng::Rng;
use crate::text::Text;

/// A network peer.
#[derive(Clone, Copy, Debug)]
pub struct Remote {
    pub name: &'static str,
    pub ip: [u8; 4],
    pub port: u16,
}

pub const fn remote(name: &'static str, ip: [u8; 4], port: u16) -> Remote {
    Remote { name, ip, port }
}

pub const DC_LDAP: Remote = remote("dc01.corp.example", [10, 15, 0, 4], 389);
pub const DC_DNS: Remote = remote("dc01.corp.example", [10, 15, 0, 4], 53);
pub const DC_KERBEROS: Remote = remote("dc01.corp.example", [10, 15, 0, 4], 88);
pub const SQL: Remote = remote("sql01.corp.example", [10, 10, 5, 20], 1433);
pub const MYSQL: Remote = remote("db02.corp.example", [10, 10, 5, 21], 3306);
pub const POSTGRES: Remote = remote("db03.corp.example", [10, 10, 5, 22], 5432);
pub const REDIS: Remote = remote("cache01.corp.example", [10, 10, 5, 23], 6379);
pub const OCTOPUS_SERVER: Remote = remote("octopus.corp.example", [10, 10, 7, 5], 10943);
pub const TEAMCITY_SERVER: Remote = remote("teamcity.corp.example", [10, 10, 7, 6], 8111);
pub const APPDYNAMICS: Remote = remote("contoso.saas.appdynamics.com", [34, 107, 205, 98], 443);
pub const DYNATRACE: Remote = remote("abc12345.live.dynatrace.com", [35, 157, 110, 47], 443);

/// Internet services Windows and its software talk to.
pub const INTERNET: [Remote; 12] = [
    remote("v10.events.data.microsoft.com", [20, 42, 65, 92], 443),
    remote("settings-win.data.microsoft.com", [20, 42, 73, 24], 443),
    remote("definitionupdates.microsoft.com", [20, 3, 187, 198], 443),
    remote("fe3cr.delivery.mp.microsoft.com", [20, 12, 23, 50], 443),
    remote("ctldl.windowsupdate.com", [93, 184, 221, 240], 80),
    remote("ocsp.digicert.com", [192, 229, 211, 108], 80),
    remote("login.microsoftonline.com", [20, 190, 151, 68], 443),
    remote("outlook.office365.com", [52, 96, 165, 18], 443),
    remote("www.google.com", [142, 250, 185, 196], 443),
    remote("github.com", [140, 82, 121, 3], 443),
    remote("registry.npmjs.org", [104, 16, 24, 34], 443),
    remote("collector.newrelic.com", [162, 247, 241, 2], 443),
];

const SYSTEM32: &str = r"C:\Windows\system32\";

fn service(rng: &mut Rng, services: &Proc, cmd: &'static str, user: User) -> Proc {
    make_proc(
        rng,
        services,
        &c::SVCHOST,
        Text::lit(c::SVCHOST.path),
        Text::lit(cmd),
        Text::lit(SYSTEM32),
        user,
        0,
    )
}

/// A long-running process started by `parent` before the time range.
pub fn daemon(
    rng: &mut Rng,
    parent: &Proc,
    bin: &'static c::Bin,
    cmd: &'static str,
    arg: &'static str,
    user: User,
) -> Proc {
    let cmd = Text::tpl(cmd, arg, rng.next_u64());
    make_proc(
        rng,
        parent,
        bin,
        Text::lit(bin.path),
        cmd,
        parent.cwd,
        user,
        0,
    )
}

/// A service started by `parent` whose command line is its quoted path.
pub fn agent(rng: &mut Rng, parent: &Proc, bin: &'static c::Bin, user: User) -> Proc {
    daemon(rng, parent, bin, r#""{a}""#, bin.path, user)
}

pub fn setup(host: &Host, rng: &mut Rng) -> Procs {
    let system = Proc {
        bin: &c::SYSTEM,
        image: Text::lit("System"),
        cmd: Text::lit(""),
        cwd: Text::lit(SYSTEM32),
        pid: 4,
        uid: rng.next_u64(),
        user: User::SYSTEM,
        parent_bin: &c::SYSTEM,
        parent_pid: 0,
        flags: 0,
    };
    let services = make_proc(
        rng,
        &system,
        &c::SERVICES,
        Text::lit(c::SERVICES.path),
        Text::lit(r"C:\Windows\system32\services.exe"),
        Text::lit(SYSTEM32),
        User::SYSTEM,
        0,
    );
    let sched = service(
        rng,
        &services,
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
        User::SYSTEM,
    );
    let dcom = service(
        rng,
        &services,
        r"C:\Windows\system32\svchost.exe -k DcomLaunch -p",
        User::SYSTEM,
    );
    let wuauserv = service(
        rng,
        &services,
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s wuauserv",
        User::SYSTEM,
    );
    let dnscache = service(
        rng,
        &services,
        r"C:\Windows\system32\svchost.exe -k NetworkService -p -s Dnscache",
        User::NETWORK_SERVICE,
    );
    let was = service(
        rng,
        &services,
        r"C:\Windows\system32\svchost.exe -k iissvcs",
        User::SYSTEM,
    );
    let defender = agent(rng, &services, &c::MSMPENG, User::SYSTEM);
    let user = if host.role == Role::Workstation {
        *rng.pick(&c::PEOPLE)
    } else {
        *rng.pick(&c::ADMINS)
    };
    let explorer = make_proc(
        rng,
        &services,
        &c::EXPLORER,
        Text::lit(c::EXPLORER.path),
        Text::lit(r"C:\Windows\Explorer.EXE"),
        Text::tpl(r"C:\Users\{a}\", user.name, 0),
        user,
        0,
    );
    let mut procs = Procs {
        system,
        services,
        sched,
        dcom,
        wuauserv,
        dnscache,
        defender,
        was,
        explorer,
        user,
        web: Vec::new(),
        daemons: Vec::new(),
    };
    // Agents any server role may run.
    if host.has(feature::TEAMCITY) {
        procs
            .daemons
            .push(super::iis::teamcity_agent(rng, &services));
    }
    if host.has(feature::DYNATRACE) {
        let os = agent(rng, &services, &c::DT_OSAGENT, User::SYSTEM);
        procs.daemons.push(os);
    }
    if host.has(feature::NEW_RELIC) {
        let agent = agent(rng, &procs.services, &c::NEWRELIC_INFRA, User::SYSTEM);
        procs.daemons.push(agent);
    }
    match host.role {
        Role::Iis => iis::setup(host, rng, &mut procs),
        Role::Exchange => exchange::setup(host, rng, &mut procs),
        Role::Apache => apps::setup_apache(rng, &mut procs),
        Role::Tomcat => apps::setup_tomcat(rng, &mut procs),
        Role::Node => apps::setup_node(rng, &mut procs),
        Role::DomainController => desk::setup_dc(rng, &mut procs),
        Role::Workstation => desk::setup_workstation(rng, &mut procs),
    }
    procs
}

pub fn episode(cx: &mut Ctx<'_>) {
    let admin = if cx.host.role == Role::Workstation {
        2
    } else {
        6
    };
    run_one(
        cx,
        &[
            (20, service_host),
            (20, scheduled_task),
            (7, defender),
            (5, windows_update),
            (10, wmi),
            (22, chatter),
            (admin, admin_shell),
            (4, group_policy),
            (6, com_surrogate),
            (3, new_relic),
        ],
    );
}

const SERVICE_GROUPS: [(&str, User); 10] = [
    (
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s gpsvc",
        User::SYSTEM,
    ),
    (
        r"C:\Windows\System32\svchost.exe -k LocalServiceNetworkRestricted -p -s lmhosts",
        User::LOCAL_SERVICE,
    ),
    (
        r"C:\Windows\System32\svchost.exe -k netsvcs -p -s BITS",
        User::SYSTEM,
    ),
    (
        r"C:\Windows\system32\svchost.exe -k LocalService -p -s fdPHost",
        User::LOCAL_SERVICE,
    ),
    (
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s UsoSvc",
        User::SYSTEM,
    ),
    (
        r"C:\Windows\system32\svchost.exe -k LocalSystemNetworkRestricted -p -s PcaSvc",
        User::SYSTEM,
    ),
    (
        r"C:\Windows\System32\svchost.exe -k wsappx -p -s ClipSVC",
        User::SYSTEM,
    ),
    (
        r"C:\Windows\System32\svchost.exe -k LocalServiceNoNetwork -p -s DPS",
        User::LOCAL_SERVICE,
    ),
    (
        r"C:\Windows\system32\svchost.exe -k NetworkService -p -s CryptSvc",
        User::NETWORK_SERVICE,
    ),
    (
        r"C:\Windows\system32\svchost.exe -k LocalService -s W32Time",
        User::LOCAL_SERVICE,
    ),
];

/// The service control manager starts a service host, which later stops.
fn service_host(cx: &mut Ctx<'_>) {
    let (cmd, user) = *cx.rng.pick(&SERVICE_GROUPS);
    let services = cx.procs.services;
    let svc = cx.start(&services, &c::SVCHOST, cmd, "", user);
    if cx.rng.chance(0.5) {
        cx.wait_ms(50, 900);
        let internet = *cx.rng.pick(&INTERNET[..7]);
        cx.connect(&svc, &internet);
    }
    if cx.rng.chance(0.7) {
        cx.wait_s(20, 900);
        cx.end(&services, &svc);
    }
}

const TASKS: [(&c::Bin, &str, &str); 9] = [
    (&c::TASKHOSTW, r"taskhostw.exe Install $(Arg0)", ""),
    (
        &c::TASKHOSTW,
        r"taskhostw.exe -RegisterDevice -ProtectionStateChanged -FreeNetworkOnly",
        "",
    ),
    (&c::TASKHOSTW, r"taskhostw.exe SYSTEM", ""),
    (
        &c::MPCMDRUN,
        r#""{a}" -IdleTask -TaskName WdCacheMaintenance"#,
        c::MPCMDRUN.path,
    ),
    (
        &c::MPCMDRUN,
        r#""{a}" -IdleTask -TaskName WdCleanup"#,
        c::MPCMDRUN.path,
    ),
    (
        &c::COMPATTELRUNNER,
        r"C:\Windows\system32\compattelrunner.exe -m:appraiser.dll -f:DoScheduledTelemetryRun -cv:{=Xk3Lm9Pq|7TbRf2Ws|Hd8NcE4v}{x6}.2",
        "",
    ),
    (
        &c::SC,
        r"C:\Windows\system32\sc.exe start w32time task_started",
        "",
    ),
    (
        &c::RUNDLL32,
        r"C:\Windows\system32\rundll32.exe C:\Windows\system32\Windows.Storage.ApplicationData.dll,CleanupTemporaryState",
        "",
    ),
    (&c::GPUPDATE, r"gpupdate.exe /target:computer", ""),
];

/// The Task Scheduler runs a task.
fn scheduled_task(cx: &mut Ctx<'_>) {
    let (bin, cmd, arg) = *cx.rng.pick(&TASKS);
    let sched = cx.procs.sched;
    let task = cx.start(&sched, bin, cmd, arg, User::SYSTEM);
    if std::ptr::eq(bin, &c::MPCMDRUN) || std::ptr::eq(bin, &c::SC) {
        let con = cx.console(&task);
        cx.wait_ms(200, 8_000);
        cx.end(&task, &con);
    } else {
        cx.wait_ms(500, 30_000);
    }
    cx.end(&sched, &task);
}

/// Defender updates its signatures.
fn defender(cx: &mut Ctx<'_>) {
    let engine = cx.procs.defender;
    let run = cx.start(
        &engine,
        &c::MPCMDRUN,
        r#""{a}" SignaturesUpdateService -ScheduleJob -UnmanagedUpdate -RestrictPrivileges"#,
        c::MPCMDRUN.path,
        User::NETWORK_SERVICE,
    );
    let con = cx.console(&run);
    cx.connect(&run, &INTERNET[2]);
    cx.wait_ms(800, 5_000);
    for _ in 0..cx.rng.range(1, 3) {
        cx.file(
            &engine,
            r"C:\ProgramData\Microsoft\Windows Defender\Definition Updates\{{{G}}}\{=mpavdlta|mpasdlta|mpavbase|mpengine}.vdm",
            "",
        );
    }
    cx.wait_s(2, 40);
    cx.end(&run, &con);
    cx.end(&engine, &run);
}

/// Windows Update scans and downloads.
fn windows_update(cx: &mut Ctx<'_>) {
    let wu = cx.procs.wuauserv;
    cx.connect(&wu, &INTERNET[3]);
    let dcom = cx.procs.dcom;
    let worker = cx.start(
        &dcom,
        &c::MOUSOCOREWORKER,
        r"C:\Windows\System32\mousocoreworker.exe -Embedding",
        "",
        User::SYSTEM,
    );
    cx.wait_s(1, 20);
    for _ in 0..cx.rng.range(1, 4) {
        cx.file(&wu, r"C:\Windows\SoftwareDistribution\Download\{x32}\{=windows10.0-kb5046615-x64|windows10.0-kb5044277-x64-ndp48|am_delta_patch_1.421.{d3}.0}.{=cab|psf|exe}", "");
    }
    if cx.rng.chance(0.3) {
        let services = cx.procs.services;
        let ti = cx.start(
            &services,
            &c::TRUSTEDINSTALLER,
            r"C:\Windows\servicing\TrustedInstaller.exe",
            "",
            User::SYSTEM,
        );
        let tiw = cx.start(&dcom, &c::TIWORKER, r"C:\Windows\winsxs\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.17763.6400_none_7e2f6ab51ee4e1e4\TiWorker.exe -Embedding", "", User::SYSTEM);
        cx.wait_s(30, 600);
        cx.end(&dcom, &tiw);
        cx.end(&services, &ti);
    }
    cx.wait_s(5, 120);
    cx.end(&dcom, &worker);
}

/// A WMI provider host comes and goes.
fn wmi(cx: &mut Ctx<'_>) {
    let dcom = cx.procs.dcom;
    let user = *cx
        .rng
        .pick(&[User::SYSTEM, User::NETWORK_SERVICE, User::LOCAL_SERVICE]);
    let host = cx.start(
        &dcom,
        &c::WMIPRVSE,
        r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding",
        "",
        user,
    );
    cx.wait_s(10, 300);
    cx.end(&dcom, &host);
}

/// Name lookups and the connections of long-running processes.
fn chatter(cx: &mut Ctx<'_>) {
    let dns = cx.procs.dnscache;
    for _ in 0..cx.rng.range(1, 4) {
        cx.connect(&dns, &DC_DNS);
    }
    let who = match cx.rng.below(3) {
        0 => cx.procs.defender,
        1 => cx.procs.wuauserv,
        _ => cx.procs.sched,
    };
    let internet = *cx.rng.pick(&INTERNET[..8]);
    cx.connect(&who, &internet);
    if cx.rng.chance(0.3) {
        let system = cx.procs.system;
        cx.connect(&system, &remote("dc01.corp.example", DC_LDAP.ip, 445));
    }
}

const ADMIN_PS: [&str; 8] = [
    r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" "#,
    r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoExit -Command Get-Service W3SVC,WAS | Format-Table -AutoSize"#,
    r"powershell.exe -NoProfile -Command Get-EventLog -LogName System -Newest 50",
    r"powershell.exe -Command Get-HotFix | Sort-Object InstalledOn -Descending | Select-Object -First 5",
    r#"powershell.exe -NoProfile -Command "Get-ChildItem C:\inetpub\logs\LogFiles -Recurse | Where-Object {{ $_.LastWriteTime -lt (Get-Date).AddDays(-30) }} | Remove-Item""#,
    r"powershell.exe -Command Test-NetConnection sql01.corp.example -Port 1433",
    r"powershell.exe -Command Get-Counter '\Processor(_Total)\% Processor Time' -SampleInterval 2 -MaxSamples 5",
    r"powershell.exe -ExecutionPolicy Bypass -File C:\Scripts\Check-Disk.ps1",
];

const ADMIN_CMD: [(&c::Bin, &str); 9] = [
    (
        &c::NOTEPAD,
        r"notepad.exe C:\Windows\System32\drivers\etc\hosts",
    ),
    (
        &c::APPCMD,
        r"C:\Windows\system32\inetsrv\appcmd.exe list apppool /state:Started",
    ),
    (&c::IPCONFIG, "ipconfig /all"),
    (&c::NET, "net use"),
    (&c::WHOAMI, "whoami /groups"),
    (&c::NETSH, "netsh advfirewall show allprofiles"),
    (&c::TASKLIST, r#"tasklist /svc /fi "imagename eq w3wp.exe""#),
    (&c::SYSTEMINFO, "systeminfo"),
    (&c::GPUPDATE, "gpupdate /force"),
];

/// An administrator (or a power user) opens a shell and runs a few commands.
fn admin_shell(cx: &mut Ctx<'_>) {
    let explorer = cx.procs.explorer;
    let user = cx.procs.user;
    if cx.rng.chance(0.15) {
        let mmc = cx.start(&explorer, &c::MMC, r#""C:\Windows\system32\mmc.exe" "C:\Windows\system32\{=eventvwr|services|compmgmt|gpedit}.msc" /s"#, "", user);
        cx.wait_s(30, 1_200);
        cx.end(&explorer, &mmc);
        return;
    }
    if cx.rng.chance(0.5) {
        let cmd = *cx.rng.pick(&ADMIN_PS);
        let ps = cx.start(&explorer, &c::POWERSHELL, cmd, "", user);
        let con = cx.console(&ps);
        cx.wait_s(20, 900);
        cx.end(&ps, &con);
        cx.end(&explorer, &ps);
        return;
    }
    console_session(cx, &ADMIN_CMD);
}

/// The interactive user opens cmd, runs one to three of `tools` and closes it.
pub fn console_session(cx: &mut Ctx<'_>, tools: &[(&'static c::Bin, &'static str)]) {
    let user = cx.procs.user;
    let window = cx.open_console();
    let shell = window.0;
    for _ in 0..cx.rng.range(1, 3) {
        cx.wait_s(3, 120);
        let (bin, line) = *cx.rng.pick(tools);
        let tool = cx.start(&shell, bin, line, "", user);
        if std::ptr::eq(bin, &c::NET) {
            let net1 = cx.start(&tool, &c::NET1, r"C:\Windows\system32\net1 use", "", user);
            cx.end(&tool, &net1);
        }
        cx.wait_ms(100, 9_000);
        cx.end(&shell, &tool);
    }
    cx.wait_s(10, 600);
    cx.close_console(window);
}

/// Group Policy refreshes and runs its scripts.
fn group_policy(cx: &mut Ctx<'_>) {
    let services = cx.procs.services;
    let gpsvc = cx.start(
        &services,
        &c::SVCHOST,
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s gpsvc",
        "",
        User::SYSTEM,
    );
    cx.connect(&gpsvc, &DC_LDAP);
    cx.connect(&gpsvc, &DC_KERBEROS);
    let script = cx.start(
        &gpsvc,
        &c::GPSCRIPT,
        r"gpscript.exe /RefreshSystemParam",
        "",
        User::SYSTEM,
    );
    cx.wait_ms(200, 3_000);
    cx.end(&gpsvc, &script);
}

/// A COM surrogate (thumbnails, shell extensions, DCOM servers).
fn com_surrogate(cx: &mut Ctx<'_>) {
    let dcom = cx.procs.dcom;
    let user = if cx.rng.chance(0.5) {
        cx.procs.user
    } else {
        User::SYSTEM
    };
    let host = cx.start(
        &dcom,
        &c::DLLHOST,
        r"C:\Windows\system32\DllHost.exe /Processid:{{{G}}}",
        "",
        user,
    );
    let user = cx.procs.user;
    let broker = if cx.rng.chance(0.3) {
        let (bin, cmd) = if cx.host.role == Role::Workstation && cx.rng.chance(0.5) {
            (
                &c::BACKGROUNDTASKHOST,
                r#""C:\Windows\system32\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider"#,
            )
        } else {
            (
                &c::RUNTIMEBROKER,
                r"C:\Windows\System32\RuntimeBroker.exe -Embedding",
            )
        };
        Some(cx.start(&dcom, bin, cmd, "", user))
    } else {
        None
    };
    cx.wait_s(5, 120);
    cx.end(&dcom, &host);
    if let Some(broker) = broker {
        cx.end(&dcom, &broker);
    }
}

/// The New Relic infrastructure agent inventories the host through PowerShell.
fn new_relic(cx: &mut Ctx<'_>) {
    let Some(agent) = cx.procs.daemon(&c::NEWRELIC_INFRA) else {
        return chatter(cx);
    };
    let ps = cx.start(
        &agent,
        &c::POWERSHELL,
        r#"powershell.exe -NoProfile -NonInteractive -Command "Get-CimInstance -ClassName {=Win32_Product|Win32_QuickFixEngineering|Win32_Service|Win32_LogicalDisk} | ConvertTo-Json -Compress""#,
        "",
        User::SYSTEM,
    );
    let con = cx.console(&ps);
    cx.connect(&agent, &INTERNET[11]);
    cx.wait_s(1, 12);
    cx.end(&ps, &con);
    cx.end(&agent, &ps);
}
