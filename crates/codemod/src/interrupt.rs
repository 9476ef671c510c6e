//! Ctrl-C (SIGINT) and SIGTERM while files are being written: the file being written is
//! finished (its temp file renamed into place, or removed), then the run stops and says
//! what it wrote. A second signal ends the process at once, as usual.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(signal: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    // The next one is not caught: a second Ctrl-C stops a run that does not stop.
    // SAFETY: `signal` is async-signal-safe; it only resets the disposition.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
    }
}

/// From now on SIGINT and SIGTERM only ask the run to stop (see `requested`).
pub fn catch() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic and resets its own disposition.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// A signal arrived since `catch`.
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
