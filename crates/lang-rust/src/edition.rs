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

/// The `[package] edition = "..."` of a Cargo manifest. A missing key, an inherited
/// `edition.workspace = true`, an unknown value or a manifest that is not TOML give the default.
pub fn edition_from_cargo_toml(text: &str) -> Edition {
    let Ok(table) = text.parse::<toml::Table>() else {
        return Edition::default();
    };
    table
        .get("package")
        .and_then(|p| p.get("edition"))
        .and_then(|e| e.as_str())
        .and_then(Edition::parse)
        .unwrap_or_default()
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
