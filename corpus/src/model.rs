//! What happened, independent of any schema: processes, their starts and ends, files
//! written and connections made. Events are small `Copy` values (text is a template and a
//! seed), rendered into a line only when written.

use crate::catalog::{Bin, Sid, User};
use crate::text::Text;

/// The event belongs to no scenario (benign activity).
pub const BENIGN: u32 = u32::MAX;

/// Process flags.
pub const RENAMED: u8 = 1;
/// An IIS worker serving an Exchange application pool (`-ap "MSExchange...AppPool"`).
pub const EXCHANGE_POOL: u8 = 2;

/// A process instance.
#[derive(Clone, Copy, Debug)]
pub struct Proc {
    pub bin: &'static Bin,
    /// The image path (the program's usual path, or another for a renamed copy).
    pub image: Text,
    pub cmd: Text,
    pub cwd: Text,
    pub pid: u32,
    /// Random bits behind the process GUID and the ECS entity id.
    pub uid: u64,
    pub user: User,
    pub parent_bin: &'static Bin,
    pub parent_pid: u32,
    pub flags: u8,
}

impl Proc {
    pub fn renamed(&self) -> bool {
        self.flags & RENAMED != 0
    }

    pub fn exchange_pool(&self) -> bool {
        self.flags & EXCHANGE_POOL != 0
    }

    /// The mandatory integrity level Windows gives the process, from its account.
    pub fn integrity(&self) -> Integrity {
        match self.user.sid {
            Sid::System | Sid::LocalService | Sid::NetworkService => Integrity::System,
            Sid::AppPool => Integrity::High,
            // Administrators and service accounts run elevated; people do not.
            Sid::Domain(rid) if rid >= 1300 => Integrity::High,
            Sid::Domain(_) => Integrity::Medium,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Integrity {
    System,
    High,
    Medium,
}

impl Integrity {
    pub fn name(self) -> &'static str {
        match self {
            Integrity::System => "System",
            Integrity::High => "High",
            Integrity::Medium => "Medium",
        }
    }

    /// The Security log's `MandatoryLabel` SID.
    pub fn label_sid(self) -> &'static str {
        match self {
            Integrity::System => "S-1-16-16384",
            Integrity::High => "S-1-16-12288",
            Integrity::Medium => "S-1-16-8192",
        }
    }
}

/// A network connection seen from the host.
#[derive(Clone, Copy, Debug)]
pub struct Net {
    pub remote_ip: [u8; 4],
    pub remote_port: u16,
    pub local_port: u16,
    /// Initiated by this host (outbound), or accepted.
    pub outbound: bool,
    pub udp: bool,
    /// The remote name when the sensor resolved it, else empty.
    pub remote_name: &'static str,
}

/// What happened.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Start { proc: Proc, parent: Proc },
    End { proc: Proc, parent: Proc },
    File { proc: Proc, path: Text },
    Net { proc: Proc, net: Net },
}

impl Kind {
    /// The process that acted.
    pub fn proc(&self) -> &Proc {
        match self {
            Kind::Start { proc, .. }
            | Kind::End { proc, .. }
            | Kind::File { proc, .. }
            | Kind::Net { proc, .. } => proc,
        }
    }
}

/// One event of one host.
#[derive(Clone, Copy, Debug)]
pub struct Event {
    /// Nanoseconds since the Unix epoch.
    pub time: i64,
    pub host: u32,
    /// The host's event counter (record ids, sequence numbers).
    pub seq: u64,
    /// Index of the scenario this event belongs to, or [`BENIGN`].
    pub scenario: u32,
    pub kind: Kind,
}
