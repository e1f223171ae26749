//! The demo centre's parties, read from crates/server/seed/demo.toml (the one place they are written down).

use anyhow::{Context, Result};
use serde::Deserialize;

/// A unit or developer as the certificate names it.
#[derive(Debug, Deserialize)]
pub struct Party {
    pub key: String,
    pub name: String,
    pub uscc: String,
    pub role: String,
    #[serde(default)]
    pub token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DemoCentre {
    pub centre_name: String,
    pub unit: Vec<Party>,
    pub unknown_unit: Vec<Party>,
}

impl DemoCentre {
    pub fn load() -> Result<DemoCentre> {
        let path = crate::workspace_root().join("crates/server/seed/demo.toml");
        let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
        Ok(toml::from_str(&text)?)
    }

    pub fn party(&self, key: &str) -> Result<&Party> {
        self.unit
            .iter()
            .find(|p| p.key == key)
            .with_context(|| format!("no unit {key} in demo.toml"))
    }

    pub fn unknown(&self, key: &str) -> Result<&Party> {
        self.unknown_unit
            .iter()
            .find(|p| p.key == key)
            .with_context(|| format!("no unknown_unit {key}"))
    }
}
