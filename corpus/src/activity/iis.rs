//! IIS web servers: application-pool workers serving requests, compiling pages and being
//! recycled, and the deployments (Octopus, TeamCity, Web Deploy), scheduled site jobs and
//! APM agents that make their process trees noisy.

use super::windows::{APPDYNAMICS, DYNATRACE, INTERNET, OCTOPUS_SERVER, SQL, agent, daemon};
use super::{Ctx, Procs, Timed, make_proc, run_one};
use crate::catalog::{self as c, User};
use crate::host::{Host, feature};
use crate::model::Proc;
use crate::rng::Rng;
use crate::text::Text;

/// Application pools and their sites' directories.
pub const SITES: [(&str, &str); 6] = [
    ("DefaultAppPool", r"C:\inetpub\wwwroot"),
    ("Portal", r"C:\inetpub\wwwroot\portal"),
    ("Intranet", r"D:\inetpub\intranet"),
    ("ContosoApi", r"C:\inetpub\wwwroot\api"),
    ("Shop", r"C:\inetpub\shop"),
    ("Reports", r"C:\inetpub\wwwroot\reports"),
];

const W3WP_CMD: &str = r#"c:\windows\system32\inetsrv\w3wp.exe -ap "{a}" -v "v4.0" -l "webengine4.dll" -a \\.\pipe\iisipm{g} -h "C:\inetpub\temp\apppools\{a}\{a}.config" -w "" -m 0 -t 20"#;
pub const INETSRV: &str = r"c:\windows\system32\inetsrv\";

/// An IIS worker for `pool`, started by WAS.
pub fn worker(
    rng: &mut Rng,
    was: &Proc,
    pool: &'static str,
    cmd: &'static str,
    user: User,
    flags: u8,
) -> Proc {
    let cmd = Text::tpl(cmd, pool, rng.next_u64());
    make_proc(
        rng,
        was,
        &c::W3WP,
        Text::lit(c::W3WP.path),
        cmd,
        Text::lit(INETSRV),
        user,
        flags,
    )
}

/// The site directory of a worker's pool.
pub fn site_of(w3wp: &Proc) -> &'static str {
    let pool = w3wp.cmd.arg();
    SITES
        .iter()
        .find(|(p, _)| *p == pool)
        .map_or(SITES[0].1, |s| s.1)
}

pub fn setup(host: &Host, rng: &mut Rng, procs: &mut Procs) {
    let pools = rng.range(1, 3) as usize;
    let mut chosen = vec![0usize];
    while chosen.len() <= pools {
        let i = rng.range(1, SITES.len() as u64 - 1) as usize;
        if !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    for i in chosen {
        let pool = SITES[i].0;
        let w3wp = worker(rng, &procs.was, pool, W3WP_CMD, User::app_pool(pool), 0);
        procs.web.push(w3wp);
    }
    let services = procs.services;
    if host.has(feature::OCTOPUS) {
        let tentacle = daemon(
            rng,
            &services,
            &c::TENTACLE,
            r#""{a}" run --instance="Tentacle" --noninteractive"#,
            c::TENTACLE.path,
            User::SYSTEM,
        );
        procs.daemons.push(tentacle);
    }
    if host.has(feature::APPDYNAMICS) {
        let coordinator = agent(rng, &services, &c::APPD_COORDINATOR, User::SYSTEM);
        procs.daemons.push(coordinator);
    }
}

/// A TeamCity build agent's JVM (a `java.exe`, so in the web rules' parent list).
pub fn teamcity_agent(rng: &mut Rng, services: &Proc) -> Proc {
    let cmd = Text::tpl(
        r#""C:\BuildAgent\jre\bin\java.exe" -ea -Xmx384m -Dteamcity_logs=../logs/ -Dlog4j.configuration=file:../conf/teamcity-agent-log4j.xml -classpath C:\BuildAgent\lib\agent-launcher.jar;C:\BuildAgent\lib\agent.jar;C:\BuildAgent\lib\common-runtime.jar jetbrains.buildServer.agent.AgentMain -file ../conf/buildAgent.properties"#,
        "",
        rng.next_u64(),
    );
    make_proc(
        rng,
        services,
        &c::AGENT_JAVA,
        Text::lit(c::AGENT_JAVA.path),
        cmd,
        Text::lit(r"C:\BuildAgent\bin\"),
        c::SVC_TEAMCITY,
        0,
    )
}

/// Deployments (a few a day where Octopus or TeamCity deploy, now and then by hand), the
/// sites' triggered jobs every few hours, Dynatrace dumps and APM connections.
pub const TIMED: &[Timed] = &[
    (3.0, feature::OCTOPUS | feature::TEAMCITY, deploy),
    (0.3, 0, deploy),
    (8.0, feature::WEB_JOBS, web_job),
    (4.0, feature::DYNATRACE | feature::APPDYNAMICS, apm),
];

pub fn episode(cx: &mut Ctx<'_>) {
    run_one(cx, &[(34, requests), (12, compile), (7, recycle)]);
}

fn pick_worker(cx: &mut Ctx<'_>) -> (usize, Proc) {
    let i = cx.rng.below(cx.procs.web.len() as u64) as usize;
    (i, cx.procs.web[i])
}

/// Requests: connections accepted, the database queried, logs and uploads written.
fn requests(cx: &mut Ctx<'_>) {
    let (_, w3wp) = pick_worker(cx);
    let system = cx.procs.system;
    for _ in 0..cx.rng.range(1, 4) {
        let client = cx.client_ip();
        cx.accept(&system, 443, client);
        cx.wait_ms(5, 400);
    }
    if cx.rng.chance(0.6) {
        cx.connect(&w3wp, &SQL);
    }
    let site = site_of(&w3wp);
    match cx.rng.below(4) {
        0 => cx.file(&w3wp, r"{a}\App_Data\uploads\{x16}.{=pdf|png|jpg|xlsx}", site),
        1 => cx.file(&w3wp, r"{a}\App_Data\logs\app-2026{d4}.log", site),
        2 => cx.file(&w3wp, r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\root\{x8}\{x8}\hash\hash.web", ""),
        _ => {}
    }
}

/// ASP.NET compiles a page: csc, cvtres and the assemblies they write.
pub fn compile(cx: &mut Ctx<'_>) {
    let (_, w3wp) = pick_worker(cx);
    let user = w3wp.user;
    let csc = cx.start(
        &w3wp,
        &c::CSC,
        r#""C:\Windows\Microsoft.NET\Framework64\v4.0.30319\csc.exe" /noconfig /fullpaths @"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\{=root|portal|api}\{x8}\{x8}\{x8}.cmdline""#,
        "",
        user,
    );
    let con = cx.console(&csc);
    cx.wait_ms(100, 900);
    let cvtres = cx.start(
        &csc,
        &c::CVTRES,
        r#"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\cvtres.exe /NOLOGO /READONLY /MACHINE:IX86 "/OUT:C:\Windows\TEMP\RES{X4}.tmp" "c:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\root\{x8}\{x8}\CSC{X32}.TMP""#,
        "",
        user,
    );
    cx.file(&cvtres, r"C:\Windows\Temp\RES{X4}.tmp", "");
    cx.wait_ms(30, 300);
    cx.end(&csc, &cvtres);
    cx.file(&csc, r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\root\{x8}\{x8}\App_Web_{x8}.dll", "");
    cx.end(&csc, &con);
    cx.end(&w3wp, &csc);
    cx.file(&w3wp, r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\root\{x8}\{x8}\{=default|index|login|account}.aspx.{x8}.compiled", "");
}

/// WAS recycles a pool: new configuration under inetpub\temp, a new worker, the old one ends.
fn recycle(cx: &mut Ctx<'_>) {
    let (i, old) = pick_worker(cx);
    let was = cx.procs.was;
    let pool = old.cmd.arg();
    cx.file(&was, r"C:\inetpub\temp\appPools\{a}\{a}.config.tmp", pool);
    cx.file(&was, r"C:\inetpub\temp\appPools\APC{X4}.tmp", "");
    cx.wait_ms(100, 2_000);
    let fresh = worker(cx.rng, &was, pool, W3WP_CMD, old.user, old.flags);
    cx.launch(&was, &fresh);
    cx.procs.web[i] = fresh;
    cx.wait_s(1, 90);
    cx.end(&was, &old);
}

/// A deployment copies a build into a site: Octopus (Calamari scripts, possibly under the
/// pool's identity), a TeamCity agent (a build step's cmd script: a `java.exe` child), or
/// an administrator running Web Deploy.
fn deploy(cx: &mut Ctx<'_>) {
    let (_, w3wp) = pick_worker(cx);
    let site = site_of(&w3wp);
    let deployer = if let Some(tentacle) = cx.procs.daemon(&c::TENTACLE) {
        cx.connect(&tentacle, &OCTOPUS_SERVER);
        let calamari = cx.start(
            &tentacle,
            &c::CALAMARI,
            r#""C:\Octopus\Tools\Calamari.win-x64\28.2.1\Calamari.exe" deploy-package --package "C:\Octopus\Files\Contoso.Web@S1.4.{n100-999}@{X32}.nupkg" --variables "C:\Octopus\Work\2026{d10}-{n1000-9999}-{n10-99}\Variables.json""#,
            "",
            c::SVC_OCTOPUS,
        );
        let as_pool = cx.rng.chance(0.5);
        let user = if as_pool { w3wp.user } else { c::SVC_OCTOPUS };
        let ps = cx.start(
            &calamari,
            &c::POWERSHELL,
            r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NonInteractive -NoLogo -NoProfile -ExecutionPolicy Unrestricted -Command ". {{. 'C:\Octopus\Work\2026{d10}-{n1000-9999}-{n10-99}\Bootstrap.Octopus.FunctionAppenderContext.ps1' -OctopusKey '{X32}' -OctopusFunctionAppenderTargetScript 'C:\Octopus\Work\2026{d10}\Bootstrap.Deploy.ps1'; if ((test-path variable:global:lastexitcode)) {{ exit $LastExitCode }}}}""#,
            "",
            user,
        );
        (Some(calamari), Some(tentacle), ps)
    } else if let Some(agent) = cx.procs.daemon(&c::AGENT_JAVA) {
        let step = super::apps::teamcity_step(cx, &agent);
        (None, Some(agent), step)
    } else {
        let explorer = cx.procs.explorer;
        let user = cx.procs.user;
        let ps = cx.start(
            &explorer,
            &c::POWERSHELL,
            r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" "#,
            "",
            user,
        );
        (None, Some(explorer), ps)
    };
    let (calamari, launcher, shell) = deployer;
    let con = cx.console(&shell);
    cx.wait_s(2, 20);
    let msdeploy = cx.start(
        &shell,
        &c::MSDEPLOY,
        r#""C:\Program Files\IIS\Microsoft Web Deploy V3\msdeploy.exe" -verb:sync -source:package="C:\Deploy\Contoso.Web.{n100-999}.zip" -dest:contentPath="{a}",includeAcls="False" -enableRule:DoNotDeleteRule -retryAttempts:2"#,
        site,
        shell.user,
    );
    cx.file(&msdeploy, r"{a}\bin\Contoso.Web.dll", site);
    cx.file(&msdeploy, r"{a}\bin\Contoso.Web.pdb", site);
    for _ in 0..cx.rng.range(1, 4) {
        cx.file(
            &msdeploy,
            r"{a}\Views\{=Home|Account|Orders|Shared}\{=Index|Details|Edit|_Layout}.cshtml",
            site,
        );
    }
    if cx.rng.chance(0.5) {
        cx.file(&msdeploy, r"{a}\{=Default|Login|Status}.aspx", site);
    }
    cx.file(&msdeploy, r"{a}\Web.config", site);
    cx.wait_s(1, 15);
    cx.end(&shell, &msdeploy);
    cx.end(&shell, &con);
    if let Some(launcher) = launcher {
        let parent = calamari.unwrap_or(launcher);
        cx.end(&parent, &shell);
    }
    if let (Some(calamari), Some(tentacle)) = (calamari, launcher) {
        cx.end(&tentacle, &calamari);
    }
    cx.wait_s(1, 30);
    recycle(cx);
}

/// A site's triggered job runs from its worker through cmd (the worker's `Process.Start`).
fn web_job(cx: &mut Ctx<'_>) {
    if !cx.host.has(feature::WEB_JOBS) {
        return requests(cx);
    }
    let (_, w3wp) = pick_worker(cx);
    let site = site_of(&w3wp);
    let user = w3wp.user;
    let job = cx.start(
        &w3wp,
        &c::CMD,
        r#"cmd /c ""{a}\App_Data\jobs\triggered\{=cleanup|reindex|send-digest}\run.cmd"""#,
        site,
        user,
    );
    let con = cx.console(&job);
    let ps = cx.start(
        &job,
        &c::POWERSHELL,
        r#"powershell.exe -NoProfile -ExecutionPolicy Bypass -File "{a}\App_Data\jobs\triggered\cleanup\cleanup.ps1" -OlderThanDays 14"#,
        site,
        user,
    );
    cx.connect(&ps, &SQL);
    cx.wait_s(2, 60);
    cx.end(&job, &ps);
    cx.end(&job, &con);
    cx.end(&w3wp, &job);
}

/// Dynatrace's dump helper, forked from an instrumented server process.
pub fn dynatrace_dump(cx: &mut Ctx<'_>, server: &Proc) {
    let helper = cx.start(
        server,
        &c::DT_DUMPPROC,
        r#""{a}" --pid {n1000-9999} --dump-type {=mini|threads} --reason {=crash-signal-handler|on-demand}"#,
        c::DT_DUMPPROC.path,
        server.user,
    );
    cx.wait_ms(300, 4_000);
    cx.end(server, &helper);
}

/// APM agents: Dynatrace's dump helper forked from the worker, AppDynamics' coordinator
/// reporting to its controller.
fn apm(cx: &mut Ctx<'_>) {
    if cx.host.has(feature::DYNATRACE) && cx.rng.chance(0.6) {
        let (_, w3wp) = pick_worker(cx);
        dynatrace_dump(cx, &w3wp);
        if let Some(os) = cx.procs.daemon(&c::DT_OSAGENT) {
            cx.connect(&os, &DYNATRACE);
        }
        return;
    }
    if let Some(coordinator) = cx.procs.daemon(&c::APPD_COORDINATOR) {
        cx.connect(&coordinator, &APPDYNAMICS);
        return;
    }
    let (_, w3wp) = pick_worker(cx);
    let internet = *cx.rng.pick(&INTERNET[6..8]);
    cx.connect(&w3wp, &internet);
}
