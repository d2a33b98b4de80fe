//! Terminal colour: whether to use it, and the ANSI escape codes.

use std::ffi::OsStr;

use crate::args::ColorChoice;

/// Decides whether to colour: `always` and `never` win; `auto` colours a terminal
/// unless `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
pub fn use_color(choice: ColorChoice, is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && !matches!(no_color, Some(v) if !v.is_empty()),
    }
}

/// A text style; renders as nothing when colour is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Deleted rules, OLD-only items.
    Red,
    /// Inserted rules, NEW-only items.
    Green,
    /// Moves and rules that cannot be compared.
    Yellow,
    /// Hunk headers.
    Cyan,
    /// Table and chain headers.
    Bold,
    /// Unchanged context and notes.
    Dim,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Red => "\x1b[31m",
            Style::Green => "\x1b[32m",
            Style::Yellow => "\x1b[33m",
            Style::Cyan => "\x1b[36m",
            Style::Bold => "\x1b[1m",
            Style::Dim => "\x1b[2m",
        }
    }
}

/// Paints text in a style, or leaves it alone.
#[derive(Debug, Clone, Copy)]
pub struct Painter {
    /// Whether escape codes are written.
    pub enabled: bool,
}

impl Painter {
    /// `text` wrapped in the style's escape codes when colour is on.
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.enabled {
            format!("{}{text}\x1b[0m", style.code())
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_decision() {
        let nc = OsStr::new("1");
        let empty = OsStr::new("");
        assert!(use_color(ColorChoice::Auto, true, None));
        assert!(use_color(ColorChoice::Auto, true, Some(empty)));
        assert!(!use_color(ColorChoice::Auto, true, Some(nc)));
        assert!(!use_color(ColorChoice::Auto, false, None));
        assert!(use_color(ColorChoice::Always, false, Some(nc)));
        assert!(!use_color(ColorChoice::Never, true, None));
    }

    #[test]
    fn painting() {
        assert_eq!(Painter { enabled: false }.paint(Style::Red, "x"), "x");
        assert_eq!(
            Painter { enabled: true }.paint(Style::Red, "x"),
            "\x1b[31mx\x1b[0m"
        );
    }
}
