//! Kernel round trip (placeholder).
