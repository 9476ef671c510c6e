//! What a guard (or SQLAlchemy's own context manager) does around its body.

use serde::Serialize;

/// Which exceptions a guard rolls back on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RollbackOn {
    /// Never rolls back explicitly.
    Never,
    /// `except Exception:`
    Exception,
    /// bare `except:` / `except BaseException:` / SQLAlchemy's `begin()`.
    BaseException,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    /// Commits when the body finishes without an exception.
    pub commits: bool,
    pub rollback_on: RollbackOn,
    /// Re-raises the exception after rolling back (a guard that swallows is not a guard).
    pub reraises: bool,
    /// Some handler raises another exception instead (`raise AppError(...) from e`).
    pub translates: bool,
    /// Closes the session on every path.
    pub closes: bool,
}

impl Lifecycle {
    /// `with SessionLocal.begin() as s:` and `with Session(e) as s, s.begin():`.
    pub const SQLALCHEMY_BEGIN: Lifecycle = Lifecycle {
        commits: true,
        rollback_on: RollbackOn::BaseException,
        reraises: true,
        translates: false,
        closes: true,
    };
    /// `with SessionLocal() as s:`: only closes.
    pub const SQLALCHEMY_CLOSE_ONLY: Lifecycle = Lifecycle {
        commits: false,
        rollback_on: RollbackOn::Never,
        reraises: true,
        translates: false,
        closes: true,
    };

    pub fn rolls_back(&self) -> bool {
        self.rollback_on != RollbackOn::Never
    }

    /// One-line description for `codemod guard`.
    pub fn describe(&self) -> String {
        let commit = if self.commits {
            "commits on success"
        } else {
            "never commits"
        };
        let rollback = match self.rollback_on {
            RollbackOn::Never => "never rolls back",
            RollbackOn::Exception => "rolls back on Exception",
            RollbackOn::BaseException => "rolls back on any exception (BaseException)",
        };
        let translate = if self.translates {
            ", re-raises errors as another exception"
        } else {
            ""
        };
        let close = if self.closes {
            "always closes"
        } else {
            "does not close"
        };
        format!("{commit}, {rollback}{translate}, {close}")
    }
}
