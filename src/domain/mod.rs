//! Pure rules: no I/O, no clock, no global randomness. Everything here is a function of its
//! arguments, tested beside the code.

pub mod charter;
pub mod checkin;
pub mod digest;
pub mod focus;
pub mod ids;
pub mod lang;
pub mod principles;
#[cfg(test)]
mod proptests;
pub mod refusal;
pub mod schedule;
pub mod settings;
pub mod shards;
pub mod teams;
pub mod text;
pub mod time;
pub mod trend;
