//! Shared test support, included by each integration test with
//! `mod support;`. Each test binary uses only part of it.
#![allow(dead_code)]

pub mod openapi;
pub mod sandbox;
pub mod sync;
