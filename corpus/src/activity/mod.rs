//! Benign activity: the long-running processes of each host and the episodes (a process
//! tree, its files and connections) each role produces, chosen by weight.
//!
//! An episode writes its events through [`Ctx`], which keeps a time cursor and drops what
//! the host's schema cannot carry (Security 4688 has no file events, Defender no process
//! end), so that event counts and rates are those of the written lines.

mod apps;
mod desk;
mod exchange;
mod iis;
mod windows;

use crate::catalog::{self, Bin, User};
use crate::host::{Host, Role};
use crate::model::{Kind, Net, Proc};
use crate::rng::Rng;
use crate::schema::Caps;
use crate::text::Text;
use crate::time::{MILLI, SECOND};

pub use iis::site_of;
pub use windows::Remote;

/// An event staged by an episode: its time, what happened and its scenario.
pub type Staged = (i64, Kind, u32);

/// The long-running processes of a host, started before the time range.
#[derive(Clone, Debug)]
pub struct Procs {
    pub system: Proc,
    pub services: Proc,
    /// `svchost -k netsvcs -p -s Schedule` (the Task Scheduler).
    pub sched: Proc,
    /// `svchost -k DcomLaunch -p` (WMI, COM surrogates).
    pub dcom: Proc,
    /// `svchost -k netsvcs -p -s wuauserv`.
    pub wuauserv: Proc,
    /// `svchost -k NetworkService -p -s Dnscache`.
    pub dnscache: Proc,
    pub defender: Proc,
    /// `svchost -k iissvcs` (the Windows Process Activation Service) on IIS and Exchange.
    pub was: Proc,
    /// The interactive session's `explorer.exe`: the desk user's on a workstation, an
    /// administrator's remote desktop on a server.
    pub explorer: Proc,
    pub user: User,
    /// The web or application server processes (IIS workers, httpd, php-cgi, Tomcat, node).
    pub web: Vec<Proc>,
    /// Other services and agents of the role.
    pub daemons: Vec<Proc>,
}

impl Procs {
    /// The running instance of `bin` among the daemons.
    pub fn daemon(&self, bin: &'static Bin) -> Option<Proc> {
        self.daemons
            .iter()
            .find(|p| std::ptr::eq(p.bin, bin))
            .copied()
    }
}

/// Makes a process; the caller decides whether and when its start is an event.
#[allow(clippy::too_many_arguments)]
pub fn make_proc(
    rng: &mut Rng,
    parent: &Proc,
    bin: &'static Bin,
    image: Text,
    cmd: Text,
    cwd: Text,
    user: User,
    flags: u8,
) -> Proc {
    Proc {
        bin,
        image,
        cmd,
        cwd,
        pid: 4 * rng.range(100, 4_000) as u32,
        uid: rng.next_u64(),
        user,
        parent_bin: parent.bin,
        parent_pid: parent.pid,
        flags,
    }
}

/// The cursor and output of one episode on one host.
pub struct Ctx<'a> {
    pub rng: &'a mut Rng,
    pub host: &'a Host,
    pub procs: &'a mut Procs,
    /// Time of the next event.
    pub t: i64,
    pub caps: Caps,
    /// The scenario the events belong to ([`crate::model::BENIGN`] for benign activity).
    pub scenario: u32,
    /// The host's episodes per hour, to keep time-driven episodes (deployments, builds,
    /// scheduled jobs) at their own rate however busy the host is.
    pub pace: f64,
    pub out: &'a mut Vec<Staged>,
}

impl Ctx<'_> {
    fn push(&mut self, kind: Kind) {
        let keep = match kind {
            Kind::Start { .. } => true,
            Kind::End { .. } => self.caps.process_end,
            Kind::File { .. } => self.caps.file_events,
            Kind::Net { .. } => self.caps.network_events,
        };
        if keep {
            self.out.push((self.t, kind, self.scenario));
        }
    }

    /// Moves the cursor on by `lo..=hi` milliseconds and a random sub-millisecond part.
    pub fn wait_ms(&mut self, lo: u64, hi: u64) {
        self.t += self.rng.range(lo, hi) as i64 * MILLI + self.rng.below(10_000) as i64 * 100;
    }

    pub fn wait_s(&mut self, lo: u64, hi: u64) {
        self.t += self.rng.range(lo, hi) as i64 * SECOND + self.rng.below(10_000_000) as i64 * 100;
    }

    /// A process of `bin` running `cmd`, inheriting the parent's working directory; no
    /// event.
    pub fn child(&mut self, parent: &Proc, bin: &'static Bin, cmd: Text, user: User) -> Proc {
        let image = Text::lit(bin.path);
        make_proc(self.rng, parent, bin, image, cmd, parent.cwd, user, 0)
    }

    /// A seed for texts that must agree with each other (see [`crate::text`]).
    pub fn seed(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Starts a process whose command line is `cmd`.
    pub fn start_text(&mut self, parent: &Proc, bin: &'static Bin, cmd: Text, user: User) -> Proc {
        let proc = self.child(parent, bin, cmd, user);
        self.launch(parent, &proc);
        proc
    }

    /// `proc` creates the file `path`.
    pub fn file_text(&mut self, proc: &Proc, path: Text) {
        self.push(Kind::File { proc: *proc, path });
        self.wait_ms(0, 15);
    }

    /// Starts a process (an event now), then moves the cursor a few milliseconds on.
    pub fn start(
        &mut self,
        parent: &Proc,
        bin: &'static Bin,
        cmd: &'static str,
        arg: &'static str,
        user: User,
    ) -> Proc {
        let cmd = Text::tpl(cmd, arg, self.rng.next_u64());
        self.start_text(parent, bin, cmd, user)
    }

    /// The start of a process made beforehand.
    pub fn launch(&mut self, parent: &Proc, proc: &Proc) {
        self.push(Kind::Start {
            proc: *proc,
            parent: *parent,
        });
        self.wait_ms(1, 40);
    }

    pub fn end(&mut self, parent: &Proc, proc: &Proc) {
        self.push(Kind::End {
            proc: *proc,
            parent: *parent,
        });
        self.wait_ms(0, 5);
    }

    /// `proc` creates a file.
    pub fn file(&mut self, proc: &Proc, path: &'static str, arg: &'static str) {
        let path = Text::tpl(path, arg, self.rng.next_u64());
        self.file_text(proc, path);
    }

    /// `proc` connects out to `remote`.
    pub fn connect(&mut self, proc: &Proc, remote: &Remote) {
        let net = Net {
            remote_ip: remote.ip,
            remote_port: remote.port,
            local_port: self.rng.range(49_152, 65_535) as u16,
            outbound: true,
            udp: remote.port == 53 || remote.port == 123,
            remote_name: remote.name,
        };
        self.push(Kind::Net { proc: *proc, net });
        self.wait_ms(0, 20);
    }

    /// `proc` accepts a connection on `port` from `from`.
    pub fn accept(&mut self, proc: &Proc, port: u16, from: [u8; 4]) {
        let net = Net {
            remote_ip: from,
            remote_port: self.rng.range(49_152, 65_535) as u16,
            local_port: port,
            outbound: false,
            udp: false,
            remote_name: "",
        };
        self.push(Kind::Net { proc: *proc, net });
        self.wait_ms(0, 20);
    }

    /// A console program's `conhost.exe`.
    pub fn console(&mut self, proc: &Proc) -> Proc {
        self.start(
            proc,
            &catalog::CONHOST,
            r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1",
            "",
            proc.user,
        )
    }

    /// The interactive user's `cmd.exe` window (the shell and its `conhost.exe`).
    pub fn open_console(&mut self) -> (Proc, Proc) {
        let explorer = self.procs.explorer;
        let user = self.procs.user;
        let shell = self.start(
            &explorer,
            &catalog::CMD,
            r#""C:\Windows\system32\cmd.exe" "#,
            "",
            user,
        );
        let con = self.console(&shell);
        (shell, con)
    }

    /// Closes what [`Ctx::open_console`] opened.
    pub fn close_console(&mut self, (shell, con): (Proc, Proc)) {
        let explorer = self.procs.explorer;
        self.end(&shell, &con);
        self.end(&explorer, &shell);
    }

    /// A client address of the host's network: another host of the fleet or a user subnet.
    pub fn client_ip(&mut self) -> [u8; 4] {
        [
            10,
            20 + self.rng.below(3) as u8,
            self.rng.below(4) as u8,
            self.rng.range(4, 250) as u8,
        ]
    }
}

/// The host's long-running processes.
pub fn setup(host: &Host, rng: &mut Rng) -> Procs {
    windows::setup(host, rng)
}

/// An episode that happens a number of times per day whatever the host's traffic, on
/// hosts with any of the features (0: every host of the role).
pub(crate) type Timed = (f64, u32, Episode);

/// The mean number of events of an episode, to turn event rates into episode rates.
pub const EVENTS_PER_EPISODE: f64 = 6.0;

/// One benign episode of the host's role, starting at `cx.t`.
pub fn episode(cx: &mut Ctx<'_>) {
    let timed: &[Timed] = match cx.host.role {
        Role::Iis => iis::TIMED,
        Role::Exchange => exchange::TIMED,
        Role::Apache => apps::APACHE_TIMED,
        Role::Tomcat => apps::TOMCAT_TIMED,
        Role::Workstation => desk::WORKSTATION_TIMED,
        Role::Node | Role::DomainController => &[],
    };
    for &(per_day, features, run) in timed {
        let present = features == 0 || cx.host.features & features != 0;
        if present && cx.rng.chance(per_day / 24.0 / cx.pace.max(1e-9)) {
            run(cx);
            return;
        }
    }
    let role_share = match cx.host.role {
        Role::Workstation => 75,
        Role::DomainController => 55,
        _ => 65,
    };
    if cx.rng.below(100) >= role_share {
        windows::episode(cx);
        return;
    }
    match cx.host.role {
        Role::Iis => iis::episode(cx),
        Role::Exchange => exchange::episode(cx),
        Role::Apache => apps::apache(cx),
        Role::Tomcat => apps::tomcat(cx),
        Role::Node => apps::node(cx),
        Role::DomainController => desk::domain_controller(cx),
        Role::Workstation => desk::workstation(cx),
    }
}

/// An episode: what a host does once, from the context's time on.
pub(crate) type Episode = fn(&mut Ctx<'_>);

/// Picks one of weighted episodes and runs it.
pub(crate) fn run_one(cx: &mut Ctx<'_>, table: &[(u32, Episode)]) {
    let weights: [u32; 16] = std::array::from_fn(|i| table.get(i).map_or(0, |e| e.0));
    let i = cx.rng.weighted(&weights[..table.len().min(16)]);
    (table[i].1)(cx);
}
