//! Fixtures and helpers shared by the CLI test files: a tiny SQLAlchemy service (a guard
//! in `db.py`, one manual block in `service.py`) and the example project.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub const DB_PY: &str = r#"from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(bind=engine)


@contextmanager
def get_db_session():
    session = SessionLocal()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
"#;

pub const SERVICE_PY: &str = r#"from db import SessionLocal
from models import User


def create_user(name):
    session = SessionLocal()
    try:
        session.add(User(name=name))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
"#;

/// Write a file, creating its folders.
pub fn write(dir: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(p, text).unwrap();
}

/// The example project, canonical.
pub fn example() -> PathBuf {
    std::fs::canonicalize(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/inventory_service"),
    )
    .unwrap()
}

/// Copy a tree, leaving out `__pycache__` and migration state.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "__pycache__" || name == ".codemod" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}
