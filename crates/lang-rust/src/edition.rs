//! The Rust edition a file is parsed with.

/// Rust edition; the default is 2021.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Edition {
    E2015,
    E2018,
    #[default]
    E2021,
    E2024,
}

impl Edition {
    /// `"2015"` .. `"2024"`; anything else is `None`.
    pub fn parse(name: &str) -> Option<Edition> {
        match name.trim() {
            "2015" => Some(Edition::E2015),
            "2018" => Some(Edition::E2018),
            "2021" => Some(Edition::E2021),
            "2024" => Some(Edition::E2024),
            _ => None,
        }
    }

    pub(crate) fn to_syntax(self) -> ra_ap_syntax::Edition {
        match self {
            Edition::E2015 => ra_ap_syntax::Edition::Edition2015,
            Edition::E2018 => ra_ap_syntax::Edition::Edition2018,
            Edition::E2021 => ra_ap_syntax::Edition::Edition2021,
            Edition::E2024 => ra_ap_syntax::Edition::Edition2024,
        }
    }
}

/// What a Cargo manifest says about its package's edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatedEdition {
    /// `edition = "2018"`.
    Named(Edition),
    /// `edition.workspace = true`: the workspace's `[workspace.package] edition`.
    FromWorkspace,
    /// A `[package]` without `edition`: Cargo reads it as 2015.
    Unstated,
    /// No `[package]`, an unknown edition, or not TOML.
    Unknown,
}

/// The `[package] edition` of a Cargo manifest, as stated.
pub fn stated_edition(text: &str) -> StatedEdition {
    let Ok(table) = text.parse::<toml::Table>() else {
        return StatedEdition::Unknown;
    };
    let Some(package) = table.get("package") else {
        return StatedEdition::Unknown;
    };
    match package.get("edition") {
        None => StatedEdition::Unstated,
        Some(toml::Value::String(name)) => {
            Edition::parse(name).map_or(StatedEdition::Unknown, StatedEdition::Named)
        }
        Some(toml::Value::Table(t))
            if t.get("workspace").and_then(|w| w.as_bool()) == Some(true) =>
        {
            StatedEdition::FromWorkspace
        }
        Some(_) => StatedEdition::Unknown,
    }
}

/// The `[workspace.package] edition` of a workspace manifest, if it names one.
pub fn workspace_edition(text: &str) -> Option<Edition> {
    let table = text.parse::<toml::Table>().ok()?;
    let name = table
        .get("workspace")?
        .get("package")?
        .get("edition")?
        .as_str()?;
    Edition::parse(name)
}

/// The `[package] edition = "..."` of a Cargo manifest. Anything but a named edition
/// (missing, inherited, unknown, not TOML) gives the default.
pub fn edition_from_cargo_toml(text: &str) -> Edition {
    match stated_edition(text) {
        StatedEdition::Named(e) => e,
        _ => Edition::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_package_edition() {
        let manifest = "[package]\nname = \"x\"\nedition = \"2018\"\n";
        assert_eq!(edition_from_cargo_toml(manifest), Edition::E2018);
        let manifest = "[package]\nedition = \"2024\"\n[dependencies]\nedition = \"2015\"\n";
        assert_eq!(edition_from_cargo_toml(manifest), Edition::E2024);
    }

    #[test]
    fn says_how_the_edition_is_stated() {
        assert_eq!(
            stated_edition("[package]\nname = \"x\"\n"),
            StatedEdition::Unstated
        );
        assert_eq!(
            stated_edition("[package]\nedition.workspace = true\n"),
            StatedEdition::FromWorkspace
        );
        assert_eq!(stated_edition("[workspace]\n"), StatedEdition::Unknown);
        let ws = "[workspace]\nmembers = [\"a\"]\n[workspace.package]\nedition = \"2024\"\n";
        assert_eq!(workspace_edition(ws), Some(Edition::E2024));
        assert_eq!(workspace_edition("[workspace]\n"), None);
    }

    #[test]
    fn defaults_to_2021() {
        assert_eq!(edition_from_cargo_toml(""), Edition::E2021);
        assert_eq!(
            edition_from_cargo_toml("[package]\nedition.workspace = true\n"),
            Edition::E2021
        );
        assert_eq!(
            edition_from_cargo_toml("[dependencies]\nedition = \"2015\"\n"),
            Edition::E2021
        );
        assert_eq!(edition_from_cargo_toml("not [ toml"), Edition::E2021);
        assert_eq!(
            edition_from_cargo_toml("[package]\nedition = \"2077\"\n"),
            Edition::E2021
        );
    }
}
