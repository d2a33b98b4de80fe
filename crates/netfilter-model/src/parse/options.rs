//! Options shared by every parser: the source's name and an optional backend override.

use std::sync::Arc;

use crate::model::Backend;

/// How to read one source.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// Name used in errors and origins.
    pub source_name: Arc<str>,
    /// Backend forced by a `legacy:`/`nft:` prefix; `None` lets the content decide.
    pub backend: Option<Backend>,
}

impl ParseOptions {
    /// Options for a source with this name and no backend override.
    pub fn new(source_name: impl Into<Arc<str>>) -> ParseOptions {
        ParseOptions {
            source_name: source_name.into(),
            backend: None,
        }
    }

    /// Forces the backend.
    pub fn with_backend(mut self, backend: Option<Backend>) -> ParseOptions {
        self.backend = backend;
        self
    }
}
