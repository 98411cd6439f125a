//! chainstat's integration tests, one binary so DataFusion and Ballista are linked once.
//! Modules follow the data's path: readers and formats, malformed input, SQL functions
//! (`.slt`), object storage (a real S3 server on 127.0.0.1), and the Ballista cluster.

// A test binary: panicking on unexpected results is how tests fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// One test crate for many dependencies: each test module uses a few.
#![allow(unused_crate_dependencies)]

mod common;

mod accuracy;
mod ballista;
mod cli;
mod cluster;
mod freezes;
mod golden;
mod http;
mod interop;
mod job;
mod logs;
mod malformed;
mod readers;
mod risk;
mod s3;
mod slt;
mod tron;
