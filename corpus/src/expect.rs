//! Which built-in rules an event must raise, decided from what the generator wrote and
//! what the schema can carry. This restates the rules in `engine/rules/builtin/` on
//! purpose: the ground truth must not be computed by the engine it judges.

use crate::catalog::{CMD, Class, POWERSHELL};
use crate::model::Proc;
use crate::schema::Caps;
use crate::time::HOUR;

/// A set of alerting built-in rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rules(u8);

impl Rules {
    pub const NONE: Rules = Rules(0);
    pub const SUSPICIOUS_CHILD: Rules = Rules(1);
    pub const EXCHANGE_WORKER: Rules = Rules(2);
    pub const FILE_THEN_SHELL: Rules = Rules(4);
    pub const JNDI_LOOKUP: Rules = Rules(8);
    pub const SQL_INJECTION: Rules = Rules(16);

    const NAMES: [&'static str; 5] = [
        "web_server_suspicious_child",
        "exchange_worker_suspicious_child",
        "web_root_file_then_shell",
        "access_log_jndi_lookup",
        "access_log_sql_injection",
    ];

    /// The rules' names, in a fixed order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Rules::NAMES
            .into_iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, name)| name)
    }
}

impl std::ops::BitOr for Rules {
    type Output = Rules;
    fn bitor(self, other: Rules) -> Rules {
        Rules(self.0 | other.0)
    }
}

impl std::ops::BitOrAssign for Rules {
    fn bitor_assign(&mut self, other: Rules) {
        self.0 |= other.0;
    }
}

/// How long after a script drop a shell still completes `web_root_file_then_shell`
/// (inclusive, as the engine's `timespan`).
pub const CORRELATION_WINDOW: i64 = HOUR;

/// What a process start raises, and whether it is a web-server shell (the second step of
/// `web_root_file_then_shell`).
pub fn process_start(caps: Caps, parent: &Proc, child: &Proc) -> (Rules, bool) {
    // A renamed binary is recognised only by its PE original file name.
    let visible = !child.renamed() || caps.original_file_name;
    let class = if visible {
        child.bin.class
    } else {
        Class::Plain
    };
    let web_parent = parent.bin.web && !parent.renamed();
    let mut rules = Rules::NONE;
    if web_parent && class != Class::Plain {
        rules |= Rules::SUSPICIOUS_CHILD;
    }
    let exchange_child = std::ptr::eq(child.bin, &CMD) || std::ptr::eq(child.bin, &POWERSHELL);
    if web_parent
        && parent.bin.name() == "w3wp.exe"
        && parent.exchange_pool()
        && caps.parent_command_line
        && exchange_child
        && visible
    {
        rules |= Rules::EXCHANGE_WORKER;
    }
    (rules, web_parent && class == Class::Shell)
}

/// Whether a created file is a server-side script under a web root
/// (`web_root_script_file_created`).
pub fn is_web_root_script(path: &[u8]) -> bool {
    const ROOTS: [&[u8]; 8] = [
        br"\inetpub\",
        br"\frontend\httpproxy\",
        br"\clientaccess\owa\",
        br"\clientaccess\ecp\",
        br"\htdocs\",
        br"\webapps\",
        br"\wwwroot\",
        b"/var/www/",
    ];
    const EXTENSIONS: [&[u8]; 20] = [
        b".aspx", b".asp", b".ashx", b".asmx", b".ascx", b".cshtml", b".vbhtml", b".jsp", b".jspx",
        b".jspf", b".php", b".php3", b".php4", b".php5", b".php7", b".phtml", b".pht", b".cfm",
        b".cfml", b".shtml",
    ];
    let contains = |needle: &[u8]| {
        path.windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    let ends_with = |ext: &[u8]| {
        path.len() >= ext.len() && path[path.len() - ext.len()..].eq_ignore_ascii_case(ext)
    };
    EXTENSIONS.iter().any(|ext| ends_with(ext))
        && ROOTS.iter().any(|root| contains(root))
        && !contains(br"\inetpub\temp\")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{self, User};
    use crate::model::{EXCHANGE_POOL, RENAMED};
    use crate::schema::Schema;
    use crate::text::Text;

    fn proc(bin: &'static catalog::Bin, flags: u8) -> Proc {
        Proc {
            bin,
            image: Text::lit(bin.path),
            cmd: Text::lit(bin.path),
            cwd: Text::lit(r"C:\"),
            pid: 4,
            uid: 1,
            user: User::SYSTEM,
            parent_bin: &catalog::SERVICES,
            parent_pid: 8,
            flags,
        }
    }

    #[test]
    fn web_children_by_schema() {
        let w3wp = proc(&catalog::W3WP, 0);
        let owa = proc(&catalog::W3WP, EXCHANGE_POOL);
        let cmd = proc(&catalog::CMD, 0);
        let renamed_ps = proc(&catalog::POWERSHELL, RENAMED);
        let sysmon = Schema::Evtx.caps();
        let security = Schema::EvtxSecurity.caps();
        assert_eq!(
            process_start(sysmon, &w3wp, &cmd),
            (Rules::SUSPICIOUS_CHILD, true)
        );
        assert_eq!(
            process_start(sysmon, &owa, &renamed_ps),
            (Rules::SUSPICIOUS_CHILD | Rules::EXCHANGE_WORKER, true)
        );
        assert_eq!(
            process_start(security, &owa, &cmd),
            (Rules::SUSPICIOUS_CHILD, true)
        );
        assert_eq!(
            process_start(security, &owa, &renamed_ps),
            (Rules::NONE, false)
        );
        let whoami = proc(&catalog::WHOAMI, 0);
        assert_eq!(
            process_start(sysmon, &w3wp, &whoami),
            (Rules::SUSPICIOUS_CHILD, false)
        );
        let services = proc(&catalog::SERVICES, 0);
        assert_eq!(process_start(sysmon, &services, &cmd), (Rules::NONE, false));
        let csc = proc(&catalog::CSC, 0);
        assert_eq!(process_start(sysmon, &w3wp, &csc), (Rules::NONE, false));
    }

    #[test]
    fn web_root_scripts() {
        assert!(is_web_root_script(
            br"C:\inetpub\wwwroot\aspnet_client\shell.aspx"
        ));
        assert!(is_web_root_script(
            br"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\x.ASPX"
        ));
        assert!(is_web_root_script(
            br"C:\Apache24\htdocs\wp-content\cache\page.php"
        ));
        assert!(!is_web_root_script(
            br"C:\inetpub\temp\appPools\DefaultAppPool\x.aspx"
        ));
        assert!(!is_web_root_script(
            br"C:\inetpub\wwwroot\bin\Contoso.Web.dll"
        ));
        assert!(!is_web_root_script(br"C:\Users\a\Downloads\page.aspx"));
    }

    #[test]
    fn rule_names() {
        let all = Rules::SUSPICIOUS_CHILD | Rules::FILE_THEN_SHELL;
        assert_eq!(
            all.names().collect::<Vec<_>>(),
            ["web_server_suspicious_child", "web_root_file_then_shell"]
        );
        assert_eq!(Rules::NONE.names().count(), 0);
    }
}
