//! One module per shape.
