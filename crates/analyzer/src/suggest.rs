pub fn guard_module(_i: &crate::index::ProjectIndex) -> String { String::new() }
