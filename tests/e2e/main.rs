//! End-to-end tests: the real bot against a fake Discord on 127.0.0.1 (REST and gateway).
//! One binary for all of them (each file under tests/ would link serenity again).

// The fake's GUILD_CREATE payload is one large `json!` literal.
#![recursion_limit = "256"]

// Test support shared with examples/load.rs; each user needs a different subset of it.
#[allow(dead_code)]
mod fake_discord;
#[allow(dead_code)]
mod helpers;

mod board;
mod burst;
mod charter;
mod checkins;
mod coaching;
mod copy_digest;
mod daily;
mod digest;
mod fake_api;
mod faults;
mod foundation;
mod hardening;
mod members;
mod partners;
mod postgres;
mod principles;
mod privacy;
mod registration;
mod shards;
mod teams;
mod trend;
mod upgrade;
