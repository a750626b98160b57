//! Names of the ten classes: the digits by default, or one name per line from a file
//! (for other 10-class data sets such as Fashion-MNIST).

use std::path::Path;

use crate::error::FileError;

/// Number of classes every data set has.
pub const CLASSES: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClassNames(Vec<String>);

impl Default for ClassNames {
    fn default() -> Self {
        Self((0..CLASSES).map(|d| d.to_string()).collect())
    }
}

impl ClassNames {
    /// Ten names, one per non-empty line; `file` names the source in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, FileError> {
        let names: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        if names.len() != CLASSES {
            return Err(FileError::new(
                file,
                format!(
                    "expected {CLASSES} class names, one per line, found {}",
                    names.len()
                ),
            ));
        }
        if let Some(long) = names.iter().find(|n| n.chars().count() > 24) {
            return Err(FileError::new(
                file,
                format!("class name '{long}' is longer than 24 characters"),
            ));
        }
        Ok(Self(names))
    }

    pub fn read(path: &Path) -> Result<Self, FileError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| FileError::new(file.clone(), format!("cannot read: {e}")))?;
        Self::parse(&file, &text)
    }

    /// The names from a list that may have come from anywhere (a checkpoint); `None`
    /// unless there are exactly ten.
    pub fn from_vec(names: Vec<String>) -> Option<Self> {
        (names.len() == CLASSES).then_some(Self(names))
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }

    /// Whether these are the plain digits.
    pub fn are_digits(&self) -> bool {
        *self == Self::default()
    }

    /// How class `i` is shown: the digit, or `"3 dress"` for named classes.
    pub fn label(&self, i: usize) -> String {
        match self.0.get(i) {
            Some(name) if !self.are_digits() => format!("{i} {name}"),
            _ => i.to_string(),
        }
    }
}
