//! The programs and accounts the fleet runs: paths, PE version information, what the
//! built-in rules think of each program, and users with their SIDs.
//!
//! Hashes are not stored: they are derived from the path (see [`Bin::hash_words`]), stable
//! and distinct per program, like a real fleet where one build of `cmd.exe` is everywhere.

use crate::json::push_u64;
use crate::rng::{hash_bytes, mix64};

/// What a program is, as the built-in web-server rules classify children
/// (`engine/rules/builtin/web_server_suspicious_child.yml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Plain,
    /// cmd, PowerShell, pwsh, wscript, cscript, mshta: also `web_server_shell_spawned`.
    Shell,
    Download,
    Recon,
    Persistence,
    /// Proxy execution and network probes (rundll32, regsvr32, ping, nslookup).
    Other,
}

/// A program: its usual path and PE version information.
#[derive(Debug)]
pub struct Bin {
    pub path: &'static str,
    pub original_file_name: &'static str,
    pub description: &'static str,
    pub product: &'static str,
    pub company: &'static str,
    pub version: &'static str,
    pub class: Class,
    /// A web or application server process (the rules' `ParentImage` list).
    pub web: bool,
}

const MS_OS: &str = "Microsoft® Windows® Operating System";
const MS: &str = "Microsoft Corporation";
const OS_VERSION: &str = "10.0.17763.1 (WinBuild.160101.0800)";

const fn win(
    path: &'static str,
    ofn: &'static str,
    description: &'static str,
    class: Class,
) -> Bin {
    Bin {
        path,
        original_file_name: ofn,
        description,
        product: MS_OS,
        company: MS,
        version: OS_VERSION,
        class,
        web: false,
    }
}

const fn app(
    path: &'static str,
    ofn: &'static str,
    description: &'static str,
    product: &'static str,
    company: &'static str,
    version: &'static str,
) -> Bin {
    Bin {
        path,
        original_file_name: ofn,
        description,
        product,
        company,
        version,
        class: Class::Plain,
        web: false,
    }
}

const fn web(bin: Bin) -> Bin {
    Bin { web: true, ..bin }
}

pub use table::*;

/// The programs, one line each.
#[rustfmt::skip]
mod table {
    use super::{app, web, win, Bin, MS, OS_VERSION};
    use super::Class::{Download, Other, Persistence, Plain, Recon, Shell};


    // Windows.
    pub static SYSTEM: Bin = win("System", "", "NT Kernel & System", Plain);
    pub static SERVICES: Bin = win(r"C:\Windows\System32\services.exe", "services.exe", "Services and Controller app", Plain);
    pub static SVCHOST: Bin = win(r"C:\Windows\System32\svchost.exe", "svchost.exe", "Host Process for Windows Services", Plain);
    pub static TASKHOSTW: Bin = win(r"C:\Windows\System32\taskhostw.exe", "taskhostw.exe", "Host Process for Windows Tasks", Plain);
    pub static CONHOST: Bin = win(r"C:\Windows\System32\conhost.exe", "CONHOST.EXE", "Console Window Host", Plain);
    pub static CMD: Bin = win(r"C:\Windows\System32\cmd.exe", "Cmd.Exe", "Windows Command Processor", Shell);
    pub static POWERSHELL: Bin = win(r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", "PowerShell.EXE", "Windows PowerShell", Shell);
    pub static WHOAMI: Bin = win(r"C:\Windows\System32\whoami.exe", "whoami.exe", "whoami - displays logged on user information", Recon);
    pub static IPCONFIG: Bin = win(r"C:\Windows\System32\ipconfig.exe", "ipconfig.exe", "IP Configuration Utility", Recon);
    pub static NET: Bin = win(r"C:\Windows\System32\net.exe", "net.exe", "Net Command", Recon);
    pub static NET1: Bin = win(r"C:\Windows\System32\net1.exe", "net1.exe", "Net Command", Recon);
    pub static SYSTEMINFO: Bin = win(r"C:\Windows\System32\systeminfo.exe", "sysinfo.exe", "Displays system information", Recon);
    pub static NLTEST: Bin = win(r"C:\Windows\System32\nltest.exe", "nltestrk.exe", "Microsoft® Logon Server Test Utility", Recon);
    pub static TASKLIST: Bin = win(r"C:\Windows\System32\tasklist.exe", "tasklist.exe", "Lists the current running tasks", Recon);
    pub static CERTUTIL: Bin = win(r"C:\Windows\System32\certutil.exe", "CertUtil.exe", "CertUtil.exe", Download);
    pub static BITSADMIN: Bin = win(r"C:\Windows\System32\bitsadmin.exe", "bitsadmin.exe", "BITS administration utility", Download);
    pub static SCHTASKS: Bin = win(r"C:\Windows\System32\schtasks.exe", "schtasks.exe", "Task Scheduler Configuration Tool", Persistence);
    pub static REG: Bin = win(r"C:\Windows\System32\reg.exe", "reg.exe", "Registry Console Tool", Persistence);
    pub static SC: Bin = win(r"C:\Windows\System32\sc.exe", "sc.exe", "Service Control Manager Configuration Tool", Persistence);
    pub static RUNDLL32: Bin = win(r"C:\Windows\System32\rundll32.exe", "RUNDLL32.EXE", "Windows host process (Rundll32)", Other);
    pub static NETSH: Bin = win(r"C:\Windows\System32\netsh.exe", "netsh.exe", "Network Command Shell", Plain);
    pub static WMIPRVSE: Bin = win(r"C:\Windows\System32\wbem\WmiPrvSE.exe", "Wmiprvse.exe", "WMI Provider Host", Plain);
    pub static DLLHOST: Bin = win(r"C:\Windows\System32\dllhost.exe", "dllhost.exe", "COM Surrogate", Plain);
    pub static GPUPDATE: Bin = win(r"C:\Windows\System32\gpupdate.exe", "GPUpdate.exe", "Microsoft® Windows Group Policy Update Utility", Plain);
    pub static GPSCRIPT: Bin = win(r"C:\Windows\System32\gpscript.exe", "GPSCRIPT.EXE", "Group Policy Script Application", Plain);
    pub static EXPLORER: Bin = win(r"C:\Windows\explorer.exe", "EXPLORER.EXE", "Windows Explorer", Plain);
    pub static MMC: Bin = win(r"C:\Windows\System32\mmc.exe", "MMC.EXE", "Microsoft Management Console", Plain);
    pub static WSMPROVHOST: Bin = win(r"C:\Windows\System32\wsmprovhost.exe", "wsmprovhost.exe", "Host process for WinRM plug-ins", Plain);
    pub static RUNTIMEBROKER: Bin = win(r"C:\Windows\System32\RuntimeBroker.exe", "RuntimeBroker.exe", "Runtime Broker", Plain);
    pub static BACKGROUNDTASKHOST: Bin = win(r"C:\Windows\System32\backgroundTaskHost.exe", "backgroundTaskHost.exe", "Background Task Host", Plain);
    pub static COMPATTELRUNNER: Bin = win(r"C:\Windows\System32\CompatTelRunner.exe", "CompatTelRunner.exe", "Microsoft Compatibility Telemetry", Plain);
    pub static SEARCHPROTOCOLHOST: Bin = win(r"C:\Windows\System32\SearchProtocolHost.exe", "SearchProtocolHost.exe", "Microsoft Windows Search Protocol Host", Plain);
    pub static MOUSOCOREWORKER: Bin = win(r"C:\Windows\System32\MoUsoCoreWorker.exe", "MoUsoCoreWorker.exe", "MoUSO Core Worker Process", Plain);
    pub static TIWORKER: Bin = win(r"C:\Windows\WinSxS\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.17763.6400_none_7e2f6ab51ee4e1e4\TiWorker.exe", "TiWorker.exe", "Windows Modules Installer Worker", Plain);
    pub static TRUSTEDINSTALLER: Bin = win(r"C:\Windows\servicing\TrustedInstaller.exe", "TrustedInstaller.exe", "Windows Modules Installer", Plain);
    pub static LSASS: Bin = win(r"C:\Windows\System32\lsass.exe", "lsass.exe", "Local Security Authority Process", Plain);
    pub static DNS: Bin = win(r"C:\Windows\System32\dns.exe", "dns.exe", "Domain Name System (DNS) Server", Plain);
    pub static DFSRS: Bin = win(r"C:\Windows\System32\dfsrs.exe", "dfsrs.exe", "Distributed File System Replication", Plain);
    pub static REPADMIN: Bin = win(r"C:\Windows\System32\repadmin.exe", "repadmin.exe", "Replication Diagnosis Tool", Plain);
    pub static DCDIAG: Bin = win(r"C:\Windows\System32\dcdiag.exe", "dcdiag.exe", "Domain Controller Diagnosis", Plain);
    pub static W32TM: Bin = win(r"C:\Windows\System32\w32tm.exe", "w32time.exe", "Time Service Diagnostic Tool", Plain);
    pub static MPCMDRUN: Bin = win(r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MpCmdRun.exe", "MpCmdRun.exe", "Microsoft Malware Protection Command Line Utility", Plain);
    pub static MSMPENG: Bin = win(r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MsMpEng.exe", "MsMpEng.exe", "Antimalware Service Executable", Plain);
    pub static CSC: Bin = app(r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\csc.exe", "csc.exe", "Visual C# Command Line Compiler", "Microsoft® .NET Framework", MS, "4.8.4161.0 built by: NET48REL1");
    pub static CVTRES: Bin = app(r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\cvtres.exe", "CVTRES.EXE", "Microsoft® Resource File To COFF Object Conversion Utility", "Microsoft® .NET Framework", MS, "14.10.25028.0 built by: VCTOOLSD15RTM");

    // IIS, Exchange and the web stacks.
    pub static W3WP: Bin = web(app(r"C:\Windows\System32\inetsrv\w3wp.exe", "w3wp.exe", "IIS Worker Process", "Internet Information Services", MS, OS_VERSION));
    pub static APPCMD: Bin = app(r"C:\Windows\System32\inetsrv\appcmd.exe", "appcmd.exe", "Application Server Command Line Admin Tool", "Internet Information Services", MS, OS_VERSION);
    pub static MSDEPLOY: Bin = app(r"C:\Program Files\IIS\Microsoft Web Deploy V3\msdeploy.exe", "msdeploy.exe", "Microsoft Web Deployment Command Line Tool", "Microsoft Web Deploy", MS, "10.0.5923.0");
    pub static EXCH_HMHOST: Bin = app(r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\MSExchangeHMHost.exe", "MSExchangeHMHost.exe", "Microsoft Exchange Health Manager Service", "Microsoft® Exchange", MS, "15.02.1544.004");
    pub static EXCH_HMWORKER: Bin = app(r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\MSExchangeHMWorker.exe", "MSExchangeHMWorker.exe", "Microsoft Exchange Health Manager Worker", "Microsoft® Exchange", MS, "15.02.1544.004");
    pub static EXCH_TRANSPORT: Bin = app(r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\MSExchangeTransport.exe", "MSExchangeTransport.exe", "Microsoft Exchange Transport Service", "Microsoft® Exchange", MS, "15.02.1544.004");
    pub static EXCH_EDGETRANSPORT: Bin = app(r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\EdgeTransport.exe", "EdgeTransport.exe", "Microsoft Exchange Transport Worker", "Microsoft® Exchange", MS, "15.02.1544.004");
    // Not in the rules' parent list, which names `msexchangeservicehost.exe`.
    pub static EXCH_SERVICEHOST: Bin = app(r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\Microsoft.Exchange.ServiceHost.exe", "Microsoft.Exchange.ServiceHost.exe", "Microsoft Exchange Service Host", "Microsoft® Exchange", MS, "15.02.1544.004");
    pub static EXCH_NODERUNNER: Bin = app(r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\Search\Ceres\Runtime\1.0\noderunner.exe", "noderunner.exe", "Microsoft Search Foundation Node Runner", "Microsoft® Exchange", MS, "15.02.1544.004");
    pub static EXSETUP: Bin = app(r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\ExSetup.exe", "ExSetup.exe", "Microsoft Exchange Server Setup", "Microsoft® Exchange", MS, "15.02.1544.004");
    pub static HCW: Bin = app(r"C:\Users\adm.mgarcia\AppData\Local\Apps\2.0\XK8Q4N2P.T1R\M3VZ7B1D.LQ9\micr..tion_c3bce3770c238a49_0011.0000_6f7e2b3a9c1d5e84\Microsoft.Online.CSE.Hybrid.Client.exe", "Microsoft.Online.CSE.Hybrid.Client.exe", "Microsoft Office 365 Hybrid Configuration Wizard", "Microsoft Office 365 Hybrid Configuration Wizard", MS, "17.0.8004.0");
    pub static HTTPD: Bin = web(app(r"C:\Apache24\bin\httpd.exe", "httpd.exe", "Apache HTTP Server", "Apache HTTP Server", "Apache Software Foundation", "2.4.62"));
    pub static PHP_CGI: Bin = web(app(r"C:\php\php-cgi.exe", "php-cgi.exe", "CGI / FastCGI", "PHP", "The PHP Group", "8.3.13"));
    pub static TOMCAT9: Bin = web(app(r"C:\Program Files\Apache Software Foundation\Tomcat 9.0\bin\tomcat9.exe", "prunsrv.exe", "Commons Daemon Service Runner", "Apache Tomcat", "Apache Software Foundation", "1.4.0.0"));
    pub static JAVA: Bin = web(app(r"C:\Program Files\Eclipse Adoptium\jdk-17.0.13.11-hotspot\bin\java.exe", "java.exe", "OpenJDK Platform binary", "OpenJDK Platform 17.0.13", "Eclipse Adoptium", "17.0.13.0"));
    pub static AGENT_JAVA: Bin = web(app(r"C:\BuildAgent\jre\bin\java.exe", "java.exe", "OpenJDK Platform binary", "OpenJDK Platform 17.0.12", "Amazon.com Inc.", "17.0.12.0"));
    pub static NODE: Bin = web(app(r"C:\Program Files\nodejs\node.exe", "node.exe", "Node.js JavaScript Runtime", "Node.js", "Node.js", "20.18.0"));

    // Tools and agents.
    pub static MAGICK: Bin = app(r"C:\Program Files\ImageMagick-7.1.1-Q16-HDRI\magick.exe", "magick.exe", "ImageMagick Studio", "ImageMagick", "ImageMagick Studio LLC", "7.1.1.39");
    pub static WKHTMLTOPDF: Bin = app(r"C:\Program Files\wkhtmltopdf\bin\wkhtmltopdf.exe", "wkhtmltopdf.exe", "wkhtmltopdf", "wkhtmltox", "wkhtmltopdf.org", "0.12.6");
    pub static GIT: Bin = app(r"C:\Program Files\Git\cmd\git.exe", "git.exe", "Git for Windows", "Git", "The Git Development Community", "2.47.0.windows.2");
    pub static TENTACLE: Bin = app(r"C:\Program Files\Octopus Deploy\Tentacle\Tentacle.exe", "Tentacle.exe", "Octopus Tentacle", "Octopus Deploy", "Octopus Deploy Pty. Ltd.", "8.1.2260");
    pub static CALAMARI: Bin = app(r"C:\Octopus\Tools\Calamari.win-x64\28.2.1\Calamari.exe", "Calamari.exe", "Calamari", "Octopus Deploy", "Octopus Deploy Pty. Ltd.", "28.2.1");
    pub static DT_DUMPPROC: Bin = app(r"C:\Program Files\dynatrace\oneagent\agent\lib64\oneagentdumpproc.exe", "oneagentdumpproc.exe", "Dynatrace OneAgent process dump helper", "Dynatrace OneAgent", "Dynatrace LLC", "1.301.50.20241105");
    pub static DT_OSAGENT: Bin = app(r"C:\Program Files\dynatrace\oneagent\agent\lib64\oneagentos.exe", "oneagentos.exe", "Dynatrace OneAgent OS module", "Dynatrace OneAgent", "Dynatrace LLC", "1.301.50.20241105");
    pub static APPD_COORDINATOR: Bin = app(r"C:\Program Files\AppDynamics\AppDynamics .NET Agent\AppDynamics.Coordinator.exe", "AppDynamics.Coordinator.exe", "AppDynamics Agent Coordinator", "AppDynamics .NET Agent", "AppDynamics", "24.10.0.0");
    pub static NEWRELIC_INFRA: Bin = app(r"C:\Program Files\New Relic\newrelic-infra\newrelic-infra.exe", "newrelic-infra.exe", "New Relic Infrastructure Agent", "New Relic Infrastructure Agent", "New Relic, Inc.", "1.57.2");

    // Desktop.
    pub static MSEDGE: Bin = app(r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe", "msedge.exe", "Microsoft Edge", "Microsoft Edge", MS, "130.0.2849.80");
    pub static CHROME: Bin = app(r"C:\Program Files\Google\Chrome\Application\chrome.exe", "chrome.exe", "Google Chrome", "Google Chrome", "Google LLC", "130.0.6723.117");
    pub static OUTLOOK: Bin = app(r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE", "Outlook.exe", "Microsoft Outlook", "Microsoft Outlook", MS, "16.0.18129.20158");
    pub static TEAMS: Bin = app(r"C:\Program Files\WindowsApps\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\ms-teams.exe", "ms-teams.exe", "Microsoft Teams", "Microsoft Teams", MS, "24295.605.3225.8804");
    pub static ONEDRIVE: Bin = app(r"C:\Program Files\Microsoft OneDrive\OneDrive.exe", "OneDrive.exe", "Microsoft OneDrive", "Microsoft OneDrive", MS, "24.211.1020.0005");
    pub static WINWORD: Bin = app(r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE", "WinWord.exe", "Microsoft Word", "Microsoft Office", MS, "16.0.18129.20158");
    pub static NOTEPAD: Bin = win(r"C:\Windows\System32\notepad.exe", "NOTEPAD.EXE", "Notepad", Plain);
}

impl Bin {
    /// The file name part of the path.
    pub fn name(&self) -> &'static str {
        self.path.rsplit('\\').next().unwrap_or(self.path)
    }

    /// Words for this program's hashes: MD5 (2), SHA-1 (3, 40 hex digits used), SHA-256
    /// (4) and the import hash (2).
    pub fn hash_words(&self) -> [u64; 11] {
        let mut state = hash_bytes(self.path.as_bytes());
        let mut words = [0u64; 11];
        for w in &mut words {
            state = mix64(state.wrapping_add(0x9e37_79b9_7f4a_7c15));
            *w = state;
        }
        words
    }
}

/// How an account's SID is formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sid {
    System,
    LocalService,
    NetworkService,
    /// `IIS APPPOOL\<name>`: S-1-5-82 and a hash of the pool name.
    AppPool,
    /// A domain account with this relative id.
    Domain(u32),
}

/// An account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct User {
    pub domain: &'static str,
    pub name: &'static str,
    pub sid: Sid,
}

pub const NETBIOS_DOMAIN: &str = "CORP";
pub const DNS_DOMAIN: &str = "corp.example";
const DOMAIN_SID: &str = "S-1-5-21-3623811015-3361044348-30300820-";

impl User {
    pub const SYSTEM: User = User {
        domain: "NT AUTHORITY",
        name: "SYSTEM",
        sid: Sid::System,
    };
    pub const LOCAL_SERVICE: User = User {
        domain: "NT AUTHORITY",
        name: "LOCAL SERVICE",
        sid: Sid::LocalService,
    };
    pub const NETWORK_SERVICE: User = User {
        domain: "NT AUTHORITY",
        name: "NETWORK SERVICE",
        sid: Sid::NetworkService,
    };

    pub const fn app_pool(pool: &'static str) -> User {
        User {
            domain: "IIS APPPOOL",
            name: pool,
            sid: Sid::AppPool,
        }
    }

    pub const fn domain(name: &'static str, rid: u32) -> User {
        User {
            domain: NETBIOS_DOMAIN,
            name,
            sid: Sid::Domain(rid),
        }
    }

    /// The SID in its string form.
    pub fn push_sid(&self, out: &mut Vec<u8>) {
        match self.sid {
            Sid::System => out.extend_from_slice(b"S-1-5-18"),
            Sid::LocalService => out.extend_from_slice(b"S-1-5-19"),
            Sid::NetworkService => out.extend_from_slice(b"S-1-5-20"),
            Sid::AppPool => {
                out.extend_from_slice(b"S-1-5-82");
                let mut h = hash_bytes(self.name.as_bytes());
                for _ in 0..5 {
                    h = mix64(h);
                    out.push(b'-');
                    push_u64(out, h >> 32);
                }
            }
            Sid::Domain(rid) => {
                out.extend_from_slice(DOMAIN_SID.as_bytes());
                push_u64(out, u64::from(rid));
            }
        }
    }

    /// The logon id Windows gives the account's session (`0x3e7` for SYSTEM...).
    pub fn logon_id(&self) -> u64 {
        match self.sid {
            Sid::System => 0x3e7,
            Sid::LocalService => 0x3e5,
            Sid::NetworkService => 0x3e4,
            _ => 0x10_0000 + (hash_bytes(self.name.as_bytes()) & 0xf_ffff),
        }
    }

    /// Whether this is a machine or service identity (session 0) rather than a person.
    pub fn is_service(&self) -> bool {
        match self.sid {
            // Domain service accounts (`svc-*`) have relative ids from 1400.
            Sid::Domain(rid) => rid >= 1400,
            _ => true,
        }
    }
}

/// People and service accounts of the domain.
pub static PEOPLE: [User; 24] = [
    User::domain("j.smith", 1104),
    User::domain("m.garcia", 1107),
    User::domain("a.chen", 1112),
    User::domain("s.okafor", 1115),
    User::domain("l.novak", 1121),
    User::domain("r.patel", 1126),
    User::domain("k.mueller", 1130),
    User::domain("e.johansson", 1133),
    User::domain("d.kim", 1139),
    User::domain("p.rossi", 1142),
    User::domain("h.tanaka", 1148),
    User::domain("c.dubois", 1151),
    User::domain("n.ivanova", 1157),
    User::domain("t.oconnor", 1160),
    User::domain("f.silva", 1166),
    User::domain("b.nguyen", 1169),
    User::domain("g.schmidt", 1173),
    User::domain("v.kowalski", 1178),
    User::domain("y.haddad", 1184),
    User::domain("o.andersen", 1187),
    User::domain("i.moreau", 1191),
    User::domain("w.zhang", 1196),
    User::domain("z.fischer", 1203),
    User::domain("q.lopez", 1208),
];

pub static ADMINS: [User; 4] = [
    User::domain("adm.jlee", 1301),
    User::domain("adm.mgarcia", 1302),
    User::domain("adm.tbrown", 1305),
    User::domain("adm.skhan", 1309),
];

pub const SVC_OCTOPUS: User = User::domain("svc-octopus", 1403);
pub const SVC_TEAMCITY: User = User::domain("svc-teamcity", 1404);
pub const SVC_PORTAL: User = User::domain("svc-portal", 1405);
pub const SVC_TOMCAT: User = User::domain("svc-tomcat", 1406);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_hashes() {
        assert_eq!(CMD.name(), "cmd.exe");
        assert_eq!(SYSTEM.name(), "System");
        assert_eq!(CMD.hash_words(), CMD.hash_words());
        assert_ne!(CMD.hash_words(), POWERSHELL.hash_words());
    }

    #[test]
    fn sids() {
        let sid = |u: User| {
            let mut out = Vec::new();
            u.push_sid(&mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(sid(User::SYSTEM), "S-1-5-18");
        assert_eq!(
            sid(User::domain("j.smith", 1104)),
            "S-1-5-21-3623811015-3361044348-30300820-1104"
        );
        let pool = sid(User::app_pool("DefaultAppPool"));
        assert!(pool.starts_with("S-1-5-82-"));
        assert_eq!(pool.split('-').count(), 9);
        assert_eq!(pool, sid(User::app_pool("DefaultAppPool")));
        assert_ne!(pool, sid(User::app_pool("Portal")));
    }
}
