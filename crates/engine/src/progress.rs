//! A progress bar for long runs, on stderr when it is a terminal.

use std::io::IsTerminal;

/// Above this many files a progress bar is shown (when stderr is a terminal).
const PROGRESS_THRESHOLD: usize = 200;

pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    /// A bar labelled `label` over `len` files; none without a label (callers that print
    /// their own progress), for short runs, or when stderr is no terminal.
    pub fn new(len: usize, label: Option<&'static str>) -> Progress {
        let Some(label) = label else {
            return Progress(None);
        };
        if len <= PROGRESS_THRESHOLD || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(len as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{prefix:>9} [{bar:40}] {pos}/{len} {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(label);
        Progress(Some(bar))
    }

    pub fn inc(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
