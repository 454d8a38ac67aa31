//! The fleet's hosts: roles, names, addresses, which schema each one's telemetry is
//! written in, how busy each is, and the optional software that makes servers differ.

use crate::catalog::DNS_DOMAIN;
use crate::rng::Rng;
use crate::schema::Schema;

/// What a host does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// IIS web server (ASP.NET sites in application pools).
    Iis,
    /// Exchange server (IIS workers for OWA, ECP, EWS...).
    Exchange,
    /// Apache httpd with PHP (FastCGI).
    Apache,
    /// Apache Tomcat (Java).
    Tomcat,
    /// A Node.js application server.
    Node,
    DomainController,
    Workstation,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Iis,
        Role::Exchange,
        Role::Apache,
        Role::Tomcat,
        Role::Node,
        Role::DomainController,
        Role::Workstation,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Role::Iis => "iis",
            Role::Exchange => "exchange",
            Role::Apache => "apache",
            Role::Tomcat => "tomcat",
            Role::Node => "node",
            Role::DomainController => "dc",
            Role::Workstation => "workstation",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Role::Iis => "web",
            Role::Exchange => "exch",
            Role::Apache => "php",
            Role::Tomcat => "app",
            Role::Node => "node",
            Role::DomainController => "dc",
            Role::Workstation => "ws",
        }
    }

    /// Share of a large fleet, in percent.
    fn share(self) -> u32 {
        match self {
            Role::Iis => 14,
            Role::Exchange => 4,
            Role::Apache => 6,
            Role::Tomcat => 7,
            Role::Node => 7,
            Role::DomainController => 4,
            Role::Workstation => 58,
        }
    }

    /// How much busier than a workstation a typical host of this role is.
    fn activity(self) -> f64 {
        match self {
            Role::Exchange => 5.0,
            Role::DomainController => 3.0,
            Role::Workstation => 1.0,
            _ => 2.5,
        }
    }

    pub fn is_web(self) -> bool {
        matches!(
            self,
            Role::Iis | Role::Exchange | Role::Apache | Role::Tomcat | Role::Node
        )
    }
}

/// Optional software on a host, as bit flags.
pub mod feature {
    /// A TeamCity build agent (java.exe) deploys to this server.
    pub const TEAMCITY: u32 = 1;
    /// Octopus Deploy Tentacle with Calamari deployment scripts.
    pub const OCTOPUS: u32 = 2;
    /// Dynatrace OneAgent instruments the web server.
    pub const DYNATRACE: u32 = 4;
    /// AppDynamics agent (the .NET coordinator, the Java agent's host lookups).
    pub const APPDYNAMICS: u32 = 8;
    /// New Relic infrastructure agent.
    pub const NEW_RELIC: u32 = 16;
    /// An IIS site runs triggered jobs (`App_Data\jobs`) from its worker through cmd.
    pub const WEB_JOBS: u32 = 32;
    /// The Node.js app shells out to ImageMagick with `child_process.exec`.
    pub const NODE_IMAGEMAGICK: u32 = 64;
    /// The Node.js app renders PDFs (wkhtmltopdf, headless Chrome).
    pub const NODE_PDF: u32 = 128;
    /// The PHP app shells out to ImageMagick with `exec()`.
    pub const PHP_EXEC: u32 = 256;
    /// WordPress with an object cache writing `.php` files under htdocs.
    pub const WP_CACHE: u32 = 512;
    /// Exchange hybrid deployment: the Hybrid Configuration Wizard and management scripts.
    pub const EXCHANGE_HYBRID: u32 = 1024;
    /// A developer's workstation: git and Node tooling (`npm run` scripts through cmd).
    pub const DEVELOPER: u32 = 2048;
}

/// A host and how its telemetry looks.
#[derive(Clone, Debug)]
pub struct Host {
    pub index: u32,
    pub role: Role,
    pub schema: Schema,
    /// Lower-case short name (`web03`).
    pub short: String,
    /// Windows `Computer` (`WEB03.corp.example`).
    pub computer: String,
    /// Lower-case FQDN (`web03.corp.example`), the name in the ground truth.
    pub fqdn: String,
    pub ip: [u8; 4],
    /// Random bits behind the host's GUIDs, agent ids and device id.
    pub id: u64,
    /// Share of the fleet's events (all hosts sum to 1).
    pub weight: f64,
    pub features: u32,
    /// Winlogbeat 7 writes `winlog.event_id` as a number, 8 as a string.
    pub winlogbeat_7: bool,
}

impl Host {
    pub fn has(&self, feature: u32) -> bool {
        self.features & feature != 0
    }

    /// The machine account name (`WEB03$`).
    pub fn machine_account(&self, out: &mut Vec<u8>) {
        out.extend(self.short.bytes().map(|b| b.to_ascii_uppercase()));
        out.push(b'$');
    }
}

/// The roles of `n` hosts: every role once first (so that small fleets have each), then
/// by share; `web_percent` rescales the web-server roles to that share of the hosts.
fn roles(n: usize, web_percent: Option<u32>, rng: &mut Rng) -> Vec<Role> {
    let web: u32 = Role::ALL
        .iter()
        .filter(|r| r.is_web())
        .map(|r| r.share())
        .sum();
    let shares: Vec<u32> = Role::ALL
        .iter()
        .map(|r| match web_percent.map(|p| p.min(100)) {
            // Per mille of the hosts, keeping each group's internal proportions.
            Some(p) if r.is_web() => r.share() * p * 10 / web,
            Some(p) => r.share() * (100 - p) * 10 / (100 - web),
            None => r.share(),
        })
        .collect();
    (0..n)
        .map(|i| match Role::ALL.get(i) {
            Some(&role) => role,
            None => Role::ALL[rng.weighted(&shares)],
        })
        .collect()
}

/// What each host runs, by role.
fn features(role: Role, rng: &mut Rng) -> u32 {
    use feature::*;
    let mut f = 0;
    let mut maybe = |flag: u32, p: f64| {
        if rng.chance(p) {
            f |= flag;
        }
    };
    match role {
        Role::Iis => {
            maybe(TEAMCITY, 0.3);
            maybe(OCTOPUS, 0.5);
            maybe(DYNATRACE, 0.4);
            maybe(APPDYNAMICS, 0.2);
            maybe(WEB_JOBS, 0.3);
        }
        Role::Exchange => {
            maybe(EXCHANGE_HYBRID, 0.6);
            maybe(DYNATRACE, 0.2);
        }
        Role::Apache => {
            maybe(PHP_EXEC, 0.5);
            maybe(WP_CACHE, 0.6);
            maybe(NEW_RELIC, 0.4);
        }
        Role::Tomcat => {
            maybe(TEAMCITY, 0.4);
            maybe(APPDYNAMICS, 0.5);
            maybe(DYNATRACE, 0.3);
            maybe(NEW_RELIC, 0.3);
        }
        Role::Node => {
            maybe(NODE_IMAGEMAGICK, 0.6);
            maybe(NODE_PDF, 0.6);
            maybe(NEW_RELIC, 0.3);
        }
        Role::Workstation => {
            maybe(DEVELOPER, 0.15);
            maybe(NEW_RELIC, 0.1);
        }
        Role::DomainController => maybe(NEW_RELIC, 0.1),
    }
    f
}

/// Builds the fleet's hosts. `schema` is the one schema of every host, or `None` for a
/// mix (each host gets one, cycling through a seeded order of all endpoint schemas);
/// `prefix` starts every host name (so that files scanned together do not share hosts);
/// `web_percent` is the share of web servers among the hosts (`None`: the default mix,
/// web-heavy for detection testing).
pub fn plan(
    n: usize,
    schema: Option<Schema>,
    seed: u64,
    prefix: &str,
    web_percent: Option<u32>,
) -> Vec<Host> {
    let mut rng = Rng::derive(seed, 0x686f_7374);
    let roles = roles(n, web_percent, &mut rng);
    let mut order = Schema::ENDPOINT;
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    // Skew: a Zipf-like weight by a random rank, times the role's activity.
    let mut ranks: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        ranks.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut counters = [0u32; 7];
    let wide = n > 99 * 7;
    let mut hosts: Vec<Host> = roles
        .iter()
        .enumerate()
        .map(|(i, &role)| {
            let slot = Role::ALL.iter().position(|&r| r == role).unwrap_or(0);
            counters[slot] += 1;
            let number = counters[slot];
            let short = if role == Role::Workstation || wide {
                format!("{prefix}{}{:04}", role.prefix(), number)
            } else {
                format!("{prefix}{}{:02}", role.prefix(), number)
            };
            // Zipf-like, flattened at the top so that the busiest host is about a tenth of
            // the fleet rather than a third. Plain division, no `powf`: libm results may
            // differ by a bit between systems.
            let weight = role.activity() / (ranks[i] + 3) as f64;
            let subnet = if role == Role::Workstation { 20 } else { 10 };
            Host {
                index: i as u32,
                role,
                schema: schema.unwrap_or(order[i % order.len()]),
                computer: format!("{}.{DNS_DOMAIN}", short.to_ascii_uppercase()),
                fqdn: format!("{short}.{DNS_DOMAIN}"),
                short,
                ip: [
                    10,
                    subnet + slot as u8,
                    (number / 250) as u8,
                    (number % 250 + 4) as u8,
                ],
                id: rng.next_u64(),
                weight,
                features: features(role, &mut rng),
                winlogbeat_7: rng.chance(0.4),
            }
        })
        .collect();
    let total: f64 = hosts.iter().map(|h| h.weight).sum();
    for host in &mut hosts {
        host.weight /= total;
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_fleets_have_every_role_and_mixed_fleets_every_schema() {
        let hosts = plan(10, None, 1, "", None);
        for role in Role::ALL {
            assert!(hosts.iter().any(|h| h.role == role), "{role:?}");
        }
        for schema in Schema::ENDPOINT {
            assert!(hosts.iter().any(|h| h.schema == schema), "{schema:?}");
        }
        assert_eq!(hosts[0].short, "web01");
        assert_eq!(hosts[0].computer, "WEB01.corp.example");
        assert_eq!(hosts[0].fqdn, "web01.corp.example");
        assert_eq!(
            plan(1, None, 1, "ec", None)[0].computer,
            "ECWEB01.corp.example"
        );
        let total: f64 = hosts.iter().map(|h| h.weight).sum();
        assert!((total - 1.0).abs() < 1e-9);
    }

    #[test]
    fn activity_is_skewed() {
        let hosts = plan(200, Some(Schema::Ecs), 3, "", None);
        let mut weights: Vec<f64> = hosts.iter().map(|h| h.weight).collect();
        weights.sort_by(|a, b| b.total_cmp(a));
        let top: f64 = weights[..10].iter().sum();
        assert!(top > 0.25, "the 10 busiest hosts make {top} of the events");
        assert!(hosts.iter().all(|h| h.schema == Schema::Ecs));
        let mut names: Vec<&str> = hosts.iter().map(|h| h.short.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 200);
    }

    #[test]
    fn the_web_share_sets_how_many_hosts_are_web_servers() {
        let web = |percent| {
            let hosts = plan(2000, None, 5, "", percent);
            hosts.iter().filter(|h| h.role.is_web()).count()
        };
        let default = web(None);
        assert!(
            (650..870).contains(&default),
            "{default} of 2000 by default"
        );
        let five = web(Some(5));
        assert!((70..140).contains(&five), "{five} of 2000 at 5 %");
        // Every role still appears once.
        assert_eq!(web(Some(0)), 5);
    }
}
