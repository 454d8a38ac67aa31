//! The hand-over between consecutive jobs of one input, so that the thread feeding the
//! workers never reads the bytes it hands out: each job counts its own lines and follows
//! its own W3C directives, then passes the next line number and the parsing context on to
//! the job after it. A job finds its candidates first (that needs neither), then waits
//! for its predecessor's hand-over, passes its own on at once, and only then parses:
//! the waits are short, and the jobs still run side by side.
//!
//! Jobs are taken from the queue in order, so the job a worker waits for has always been
//! taken by a worker that is not waiting for it: the chain cannot deadlock. A job that
//! panics abandons its hand-over, which tells its successors to stop early: the panic
//! reaches the caller when the panicked job's turn comes to be replayed.

use std::sync::{Arc, Condvar, Mutex, PoisonError};

use tripline_ingest::SourceContext;

/// What a job hands to the next one.
#[derive(Clone, Debug)]
pub(crate) struct Handover {
    /// The number of the next job's first line.
    pub next_line: u64,
    /// The W3C directives in force after the job's lines.
    pub context: SourceContext,
}

#[derive(Debug)]
enum State {
    Waiting,
    Passed(Handover),
    Abandoned,
}

/// One hand-over, from the job before to the job after.
#[derive(Debug)]
pub(crate) struct Baton {
    state: Mutex<State>,
    passed: Condvar,
}

impl Baton {
    /// A hand-over to be passed later.
    pub fn new() -> Arc<Baton> {
        Arc::new(Baton {
            state: Mutex::new(State::Waiting),
            passed: Condvar::new(),
        })
    }

    /// A hand-over already made: for the first job of an input.
    pub fn passed(handover: Handover) -> Arc<Baton> {
        Arc::new(Baton {
            state: Mutex::new(State::Passed(handover)),
            passed: Condvar::new(),
        })
    }

    /// Waits for the hand-over; `None` when the job before gave up (it panicked).
    pub fn wait(&self) -> Option<Handover> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match &*state {
                State::Waiting => {
                    state = self
                        .passed
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                State::Passed(handover) => return Some(handover.clone()),
                State::Abandoned => return None,
            }
        }
    }

    fn set(&self, to: State) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(*state, State::Waiting) {
            *state = to;
            self.passed.notify_all();
        }
    }
}

/// A job's place in the chain: the hand-over it waits for and the one it makes. Dropped
/// without [`pass`](Link::pass) (a panic), it abandons its hand-over.
#[derive(Debug)]
pub(crate) struct Link {
    pub from: Arc<Baton>,
    pub to: Arc<Baton>,
}

impl Link {
    /// Makes the hand-over to the next job.
    pub fn pass(&self, handover: Handover) {
        self.to.set(State::Passed(handover));
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.to.set(State::Abandoned);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handover(next_line: u64) -> Handover {
        Handover {
            next_line,
            context: SourceContext::default(),
        }
    }

    #[test]
    fn a_hand_over_reaches_the_job_waiting_on_another_thread() {
        let first = Baton::passed(handover(1));
        let second = Baton::new();
        let third = Baton::new();
        let later = Link {
            from: second.clone(),
            to: third.clone(),
        };
        let waiter = std::thread::spawn(move || {
            let got = later.from.wait().unwrap().next_line;
            later.pass(handover(got + 5));
            got
        });
        let link = Link {
            from: first,
            to: second,
        };
        let start = link.from.wait().unwrap().next_line;
        link.pass(handover(start + 10));
        assert_eq!(waiter.join().unwrap(), 11);
        assert_eq!(third.wait().unwrap().next_line, 16);
    }

    #[test]
    fn a_dropped_link_abandons_and_a_second_pass_changes_nothing() {
        let to = Baton::new();
        let link = Link {
            from: Baton::passed(handover(1)),
            to: to.clone(),
        };
        drop(link);
        assert!(to.wait().is_none());
        let to = Baton::new();
        let link = Link {
            from: Baton::passed(handover(1)),
            to: to.clone(),
        };
        link.pass(handover(7));
        drop(link);
        assert_eq!(to.wait().unwrap().next_line, 7);
    }
}
