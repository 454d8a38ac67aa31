//! Exchange servers: the MSExchange application-pool workers, the Health Manager's probes,
//! transport, pool recycling (hundreds of `inetpub\temp` writes), OWA compilation, the
//! Hybrid Configuration Wizard and management scripts, and cumulative updates that
//! rewrite the OWA and ECP pages.

use super::iis::{compile, worker};
use super::windows::{INTERNET, agent, daemon};
use super::{Ctx, Procs, Remote, Timed, run_one};
use crate::catalog::{self as c, User};
use crate::host::{Host, feature};
use crate::model::EXCHANGE_POOL;
use crate::rng::Rng;

const POOLS: [&str; 12] = [
    "MSExchangeOWAAppPool",
    "MSExchangeECPAppPool",
    "MSExchangeServicesAppPool",
    "MSExchangeSyncAppPool",
    "MSExchangeAutodiscoverAppPool",
    "MSExchangeMapiFrontEndAppPool",
    "MSExchangeRpcProxyFrontEndAppPool",
    "MSExchangePowerShellFrontEndAppPool",
    "MSExchangePowerShellAppPool",
    "MSExchangeOABAppPool",
    "MSExchangeRestAppPool",
    "MSExchangeOWACalendarAppPool",
];

const POOL_CMD: &str = r#"c:\windows\system32\inetsrv\w3wp.exe -ap "{a}" -v "v4.0" -c "C:\Program Files\Microsoft\Exchange Server\V15\bin\GenericAppPoolConfigWithGCServerEnabledFalse.config" -a \\.\pipe\iisipm{g} -h "C:\inetpub\temp\apppools\{a}\{a}.config" -w "" -m 0"#;
const DEFAULT_POOL_CMD: &str = r#"c:\windows\system32\inetsrv\w3wp.exe -ap "{a}" -v "v4.0" -l "webengine4.dll" -a \\.\pipe\iisipm{g} -h "C:\inetpub\temp\apppools\{a}\{a}.config" -w "" -m 0 -t 20"#;

const HM_WORKER_CMD: &str = r#""C:\Program Files\Microsoft\Exchange Server\V15\Bin\MSExchangeHMWorker.exe" -pipe:{n1000-9999} -stopkey:Global\ExchangeStopKey-{g} -resetkey:Global\ExchangeResetKey-{g} -readykey:Global\ExchangeReadyKey-{g} -hangkey:Global\ExchangeHangKey-{g} -startUpProgressKey:Global\ExchangeProgressKey-{g} -workerListening"#;

const SMTP_OUT: Remote = Remote {
    name: "corp-example.mail.protection.outlook.com",
    ip: [52, 101, 68, 18],
    port: 25,
};

pub fn setup(host: &Host, rng: &mut Rng, procs: &mut Procs) {
    for pool in POOLS {
        let w3wp = worker(rng, &procs.was, pool, POOL_CMD, User::SYSTEM, EXCHANGE_POOL);
        procs.web.push(w3wp);
    }
    let default = worker(
        rng,
        &procs.was,
        "DefaultAppPool",
        DEFAULT_POOL_CMD,
        User::app_pool("DefaultAppPool"),
        0,
    );
    procs.web.push(default);
    let services = procs.services;
    let hmhost = agent(rng, &services, &c::EXCH_HMHOST, User::SYSTEM);
    let hmworker = daemon(
        rng,
        &hmhost,
        &c::EXCH_HMWORKER,
        HM_WORKER_CMD,
        "",
        User::SYSTEM,
    );
    let transport = agent(rng, &services, &c::EXCH_TRANSPORT, User::NETWORK_SERVICE);
    let edge = daemon(
        rng,
        &transport,
        &c::EXCH_EDGETRANSPORT,
        r#""{a}" -pipe:{n1000-9999} -stopkey:Global\ExchangeStopKey-{g} -resetkey:Global\ExchangeResetKey-{g} -readykey:Global\ExchangeReadyKey-{g} -hangkey:Global\ExchangeHangKey-{g} -workerListening"#,
        c::EXCH_EDGETRANSPORT.path,
        User::NETWORK_SERVICE,
    );
    let servicehost = agent(rng, &services, &c::EXCH_SERVICEHOST, User::SYSTEM);
    let noderunner = daemon(
        rng,
        &services,
        &c::EXCH_NODERUNNER,
        r#""{a}" -nodeid:{n1-9} -addsvcconfig:"C:\Program Files\Microsoft\Exchange Server\V15\Bin\Search\Ceres\HostController\Data\Nodes\Fsis\IndexNode1\Configuration\Local\System.xml" -tracelog"#,
        c::EXCH_NODERUNNER.path,
        User::SYSTEM,
    );
    procs
        .daemons
        .extend([hmhost, hmworker, transport, edge, servicehost, noderunner]);
    if host.has(feature::EXCHANGE_HYBRID) {
        let hcw = agent(rng, &procs.explorer, &c::HCW, procs.user);
        procs.daemons.push(hcw);
    }
}

pub fn episode(cx: &mut Ctx<'_>) {
    run_one(
        cx,
        &[
            (32, client_access),
            (16, health_probe),
            (12, transport),
            (5, recycle_all),
            (5, compile),
        ],
    );
}

/// Management scripts a few times a day in hybrid deployments; a cumulative update now
/// and then.
pub const TIMED: &[Timed] = &[
    (6.0, feature::EXCHANGE_HYBRID, management),
    (0.1, 0, cumulative_update),
];

fn exchange_worker(cx: &mut Ctx<'_>) -> crate::model::Proc {
    let i = cx.rng.below(POOLS.len() as u64) as usize;
    cx.procs.web[i]
}

/// OWA, EWS, ActiveSync and MAPI clients: the front end accepts and proxies to the back
/// end (port 444), and writes its HttpProxy logs.
fn client_access(cx: &mut Ctx<'_>) {
    let w3wp = exchange_worker(cx);
    let system = cx.procs.system;
    for _ in 0..cx.rng.range(1, 5) {
        let client = cx.client_ip();
        cx.accept(&system, 443, client);
        cx.wait_ms(2, 200);
    }
    let backend = Remote {
        name: "",
        ip: cx.host.ip,
        port: 444,
    };
    cx.connect(&w3wp, &backend);
    if cx.rng.chance(0.3) {
        cx.connect(
            &w3wp,
            &Remote {
                name: "dc01.corp.example",
                ip: [10, 15, 0, 4],
                port: 3268,
            },
        );
    }
    if cx.rng.chance(0.4) {
        cx.file(
            &w3wp,
            r"C:\Program Files\Microsoft\Exchange Server\V15\Logging\HttpProxy\{=Owa|Ews|Mapi|Eas|Autodiscover|RpcHttp}\HttpProxy_2026{d6}-{n1-9}.LOG",
            "",
        );
    }
}

/// The Health Manager worker probes the server (netsh, HTTPS and SMTP checks), and is
/// sometimes restarted by its host.
fn health_probe(cx: &mut Ctx<'_>) {
    let Some(mut worker) = cx.procs.daemon(&c::EXCH_HMWORKER) else {
        return;
    };
    if cx.rng.chance(0.08)
        && let Some(host) = cx.procs.daemon(&c::EXCH_HMHOST)
    {
        cx.end(&host, &worker);
        cx.wait_s(1, 10);
        let fresh = cx.start(&host, &c::EXCH_HMWORKER, HM_WORKER_CMD, "", User::SYSTEM);
        if let Some(slot) = cx
            .procs
            .daemons
            .iter_mut()
            .find(|p| std::ptr::eq(p.bin, &c::EXCH_HMWORKER))
        {
            *slot = fresh;
        }
        worker = fresh;
    }
    if cx.rng.chance(0.5) {
        let netsh = cx.start(
            &worker,
            &c::NETSH,
            r#""netsh" {=interface tcp show global|interface ipv6 show interface|http show sslcert ipport=0.0.0.0:444|interface ipv4 show subinterfaces}"#,
            "",
            User::SYSTEM,
        );
        let con = cx.console(&netsh);
        cx.wait_ms(80, 900);
        cx.end(&netsh, &con);
        cx.end(&worker, &netsh);
    }
    let port = *cx.rng.pick(&[443u16, 444, 80, 25]);
    let target = Remote {
        name: "",
        ip: cx.host.ip,
        port,
    };
    cx.connect(&worker, &target);
}

/// Mail flow: SMTP in and out, and the message tracking logs.
fn transport(cx: &mut Ctx<'_>) {
    let Some(edge) = cx.procs.daemon(&c::EXCH_EDGETRANSPORT) else {
        return;
    };
    for _ in 0..cx.rng.range(1, 3) {
        let client = cx.client_ip();
        cx.accept(&edge, 25, client);
    }
    if cx.rng.chance(0.5) {
        cx.connect(&edge, &SMTP_OUT);
    }
    if cx.rng.chance(0.4) {
        cx.file(
            &edge,
            r"C:\Program Files\Microsoft\Exchange Server\V15\TransportRoles\Logs\{=Hub\MessageTracking\MSGTRKMD|Hub\MessageTracking\MSGTRKMS|FrontEnd\ProtocolLog\SmtpReceive\RECV}2026{d6}-{n1-9}.LOG",
            "",
        );
    }
}

/// WAS rewrites every pool's configuration (the `config.tmp` storm of real Exchange
/// servers), and one pool's worker restarts.
fn recycle_all(cx: &mut Ctx<'_>) {
    let was = cx.procs.was;
    let count = cx.rng.range(3, POOLS.len() as u64) as usize;
    for pool in POOLS.iter().take(count) {
        cx.file(&was, r"C:\inetpub\temp\appPools\{a}\{a}.config.tmp", pool);
    }
    cx.file(&was, r"C:\inetpub\temp\appPools\bindingInfo.tmp", "");
    if cx.rng.chance(0.5) {
        let i = cx.rng.below(POOLS.len() as u64) as usize;
        let old = cx.procs.web[i];
        let fresh = worker(
            cx.rng,
            &was,
            POOLS[i],
            POOL_CMD,
            User::SYSTEM,
            EXCHANGE_POOL,
        );
        cx.wait_ms(200, 3_000);
        cx.launch(&was, &fresh);
        cx.procs.web[i] = fresh;
        cx.wait_s(1, 60);
        cx.end(&was, &old);
    }
}

/// The Hybrid Configuration Wizard and Exchange management: the wizard's PowerShell
/// sessions, the service host's scripts, and (now and then) a management cmdlet that the
/// PowerShell application pool's worker runs out of process.
fn management(cx: &mut Ctx<'_>) {
    if !cx.host.has(feature::EXCHANGE_HYBRID) {
        return client_access(cx);
    }
    let admin = cx.procs.user;
    match cx.rng.below(4) {
        0 | 1 => {
            let Some(hcw) = cx.procs.daemon(&c::HCW) else {
                return;
            };
            let ps = cx.start(
                &hcw,
                &c::POWERSHELL,
                r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -NonInteractive -Command "$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri http://{a}/PowerShell/ -Authentication Kerberos; Import-PSSession $s -CommandName Get-HybridConfiguration,Get-ExchangeCertificate,Get-SendConnector -AllowClobber""#,
                "localhost",
                admin,
            );
            let con = cx.console(&ps);
            cx.connect(&hcw, &INTERNET[6]);
            cx.connect(&hcw, &INTERNET[7]);
            cx.wait_s(5, 90);
            cx.end(&ps, &con);
            cx.end(&hcw, &ps);
        }
        2 => {
            let Some(host) = cx.procs.daemon(&c::EXCH_SERVICEHOST) else {
                return;
            };
            let ps = cx.start(
                &host,
                &c::POWERSHELL,
                r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NonInteractive -NoProfile -Command ". 'C:\Program Files\Microsoft\Exchange Server\V15\bin\RemoteExchange.ps1'; Connect-ExchangeServer -auto -ClientApplication:ManagementShell; {=Get-ExchangeCertificate | Where-Object {{ $_.NotAfter -lt (Get-Date).AddDays(30) }}|Get-HybridConfiguration|Update-HybridConfiguration -OnPremisesCredentials $null -TenantCredentials $null}""#,
                "",
                User::SYSTEM,
            );
            let con = cx.console(&ps);
            cx.wait_s(3, 60);
            cx.end(&ps, &con);
            cx.end(&host, &ps);
        }
        _ => {
            let pool = POOLS
                .iter()
                .position(|p| *p == "MSExchangePowerShellAppPool")
                .unwrap_or(0);
            let w3wp = cx.procs.web[pool];
            let ps = cx.start(
                &w3wp,
                &c::POWERSHELL,
                r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NonInteractive -NoProfile -OutputFormat xml -Command "& {{ Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; Get-HybridConfiguration | Export-Clixml C:\Windows\Temp\hcw-{x8}.xml }}""#,
                "",
                User::SYSTEM,
            );
            let con = cx.console(&ps);
            cx.wait_s(2, 20);
            cx.end(&ps, &con);
            cx.end(&w3wp, &ps);
        }
    }
}

/// A cumulative update rewrites OWA and ECP pages under the front end's web root.
fn cumulative_update(cx: &mut Ctx<'_>) {
    let explorer = cx.procs.explorer;
    let admin = cx.procs.user;
    let setup = cx.start(
        &explorer,
        &c::EXSETUP,
        r#""{a}" /Mode:Upgrade /IAcceptExchangeServerLicenseTerms_DiagnosticDataOFF"#,
        c::EXSETUP.path,
        admin,
    );
    let con = cx.console(&setup);
    for _ in 0..cx.rng.range(3, 8) {
        cx.file(
            &setup,
            r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\{=owa\auth\logon|owa\auth\errorFE|owa\auth\expiredpassword|owa\auth\frowny|owa\auth\signout|owa\auth\TimeoutLogout|ecp\auth\TimeoutLogout|ecp\PersonalSettings\HomePage}.aspx",
            "",
        );
        cx.wait_ms(20, 400);
    }
    cx.file(&setup, r"C:\ExchangeSetupLogs\ExchangeSetup.log", "");
    cx.wait_s(60, 900);
    cx.end(&setup, &con);
    cx.end(&explorer, &setup);
}
