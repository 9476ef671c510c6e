//! One writing run per project at a time. `apply` (in every form) and `migrate` hold an
//! advisory lock (`flock`) on the project's root folder from before they plan until they
//! have written: a second run on the same tree stops (after asking for two seconds) with one
//! clear message,
//! instead of finding every file "changed since it was planned". Nothing is written into
//! the tree for it, and the lock goes with the process, however it ends.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a busy lock is asked again before the run gives up.
const BUSY_WAIT: Duration = Duration::from_secs(2);

/// Held while it lives.
pub struct ProjectLock {
    _folder: Option<File>,
}

/// Another run holds the lock of the project.
#[derive(Debug, thiserror::Error)]
#[error(
    "another codemod is writing in this project ({}): wait for it to finish, then run again",
    .0.display()
)]
pub struct ProjectBusy(pub std::path::PathBuf);

/// Take the lock of the project at `root`. Where the file system cannot lock (some network
/// file systems), the run goes on unlocked, as a run did before locks.
pub fn lock_project(root: &Path) -> Result<ProjectLock, ProjectBusy> {
    let Ok(folder) = File::open(root) else {
        return Ok(ProjectLock { _folder: None });
    };
    // A process forked elsewhere (a check, git) holds a copy of a run's descriptor for a
    // moment, until it execs: so a lock that is busy is asked again for a short while.
    let deadline = Instant::now() + BUSY_WAIT;
    loop {
        // SAFETY: `flock` on a descriptor this function owns; it does not touch memory.
        let taken = unsafe { libc::flock(folder.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if taken == 0 {
            return Ok(ProjectLock {
                _folder: Some(folder),
            });
        }
        let busy = std::io::Error::last_os_error().raw_os_error() == Some(libc::EWOULDBLOCK);
        if !busy {
            return Ok(ProjectLock { _folder: None });
        }
        if Instant::now() >= deadline {
            return Err(ProjectBusy(root.to_path_buf()));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_folder_is_refused_until_the_first_goes() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_project(dir.path()).unwrap();
        let second = lock_project(dir.path());
        let message = second
            .err()
            .expect("refused while the first is held")
            .to_string();
        assert!(
            message.starts_with("another codemod is writing"),
            "{message}"
        );
        drop(first);
        assert!(lock_project(dir.path()).is_ok());
    }
}
