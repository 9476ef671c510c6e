//! AST helpers.
