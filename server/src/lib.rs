//! Sidecar's server: configuration, the HTTP surface (pages, forms, REST
//! API, operations), background workers and the command line.

// The pages' typed views, laid out here where they are rendered, nest
// deeper than the default limit in builds without `erase_components`
// (release builds).
#![recursion_limit = "256"]

pub mod api;
pub mod cli;
pub mod config;
pub mod http;
pub mod openapi;
pub mod sessions;
pub mod startup;
pub mod telemetry;

pub use startup::{build, Sidecar};

/// mimalloc for every allocation of the process: a request allocates and
/// frees many small buffers, and under load glibc's allocator was a fifth
/// of the CPU time. Set here, in the library, so that the binary, its
/// tests and its benchmarks all run on the same allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
