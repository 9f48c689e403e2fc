//! # partner-coach
//!
//! A Discord bot that coaches a team on the ten principles of successful partnerships: it
//! posts the day's principle, runs check-ins on commitments and communication, keeps every
//! answer in SQLite, and turns them into weekly digests for team leads.
//!
//! ## Map
//! ```text
//! discord/  serenity + poise: slash commands, rendering to embeds, the scheduler's sender
//!    │      (parses options, calls one service function, renders the answer)
//!    ▼
//! service/  use cases: record a check-in, build a digest, decide what is due
//!    ├──► domain/   pure rules: principles and rotation, time zones and DST, check-in
//!    │              rules, streaks, digest maths; no I/O, no clock, no global RNG
//!    └──► storage/  the only SQL: one Store over SQLite, migrations/sqlite/ applied at start
//! prompts/  every text the bot says, in English and Vietnamese, validated at start
//! keys      the stable names of those texts, shared by the domain and the loader
//! ```
//! Time comes from a [`clock::Clock`] and randomness from a seeded [`clock::Random`], so
//! tests control both. [`startup::run`] starts the whole bot from a [`config::Settings`];
//! `main.rs` only parses the command line ([`cli`]).

pub mod chart;
pub mod cli;
pub mod clock;
pub mod config;
pub mod discord;
pub mod domain;
pub mod export;
pub mod keys;
pub mod metrics;
pub mod prompts;
pub mod report;
pub mod service;
pub mod startup;
pub mod storage;
