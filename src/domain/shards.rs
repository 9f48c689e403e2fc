//! Gateway shards: which shard a guild is on, and which shards one process runs
//! (`SHARD_COUNT`, `SHARDS`). Discord puts a guild on shard `(guild_id >> 22) % count`; a bot
//! in many servers runs its shards in several processes, each a disjoint range, all on one
//! database.

use std::fmt;
use std::ops::Range;

use super::ids::GuildId;

/// The most shards a bot may ask for here: far beyond any bot's need (Discord asks for one per
/// 2,500 guilds), low enough that a typo is caught.
pub const MAX_SHARDS: u32 = 4096;

/// The shard a guild's events arrive on, of `count`.
pub fn shard_of(guild: GuildId, count: u32) -> u32 {
    ((guild.0 >> 22) % u64::from(count.max(1))) as u32
}

/// The shards one process runs: `first..=last` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardRange {
    /// The first shard, from 0.
    pub first: u32,
    /// The last shard, inclusive.
    pub last: u32,
    /// All the bot's shards, in every process.
    pub count: u32,
}

/// Why `SHARD_COUNT` or `SHARDS` was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// `SHARD_COUNT` is not a whole number from 1.
    #[error("SHARD_COUNT={0:?} is not a number of shards from 1 to {MAX_SHARDS}")]
    BadCount(String),
    /// `SHARDS` is not `FIRST-LAST` or one number.
    #[error("SHARDS={0:?} is not a shard (`3`) or a range of shards (`0-3`, first and last included)")]
    BadRange(String),
    /// The range runs backwards.
    #[error("SHARDS={0:?} runs backwards: the first shard comes first (`1-3`)")]
    Backwards(String),
    /// A shard beyond the count.
    #[error("SHARDS={range:?} names shard {shard}, but there are {count} shards (0 to {last}); check SHARD_COUNT")]
    Beyond {
        /// As given.
        range: String,
        /// The first shard that does not exist.
        shard: u32,
        /// The count.
        count: u32,
        /// The last that exists.
        last: u32,
    },
}

/// `SHARD_COUNT` as given.
pub fn parse_count(s: &str) -> Result<u32, ShardError> {
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_SHARDS).contains(&n) => Ok(n),
        _ => Err(ShardError::BadCount(s.to_owned())),
    }
}

/// The `SHARDS` text, checked for its form only (the count may come from Discord later):
/// `(first, last)`.
pub fn parse_range(s: &str) -> Result<(u32, u32), ShardError> {
    let bad = || ShardError::BadRange(s.to_owned());
    let number = |t: &str| t.trim().parse::<u32>().map_err(|_| bad());
    let (first, last) = match s.split_once('-') {
        Some((a, b)) => (number(a)?, number(b)?),
        None => {
            let n = number(s)?;
            (n, n)
        }
    };
    if last < first {
        return Err(ShardError::Backwards(s.to_owned()));
    }
    Ok((first, last))
}

impl ShardRange {
    /// Every shard of `count`.
    pub fn all(count: u32) -> Self {
        Self { first: 0, last: count.max(1) - 1, count: count.max(1) }
    }

    /// `(first, last)` from [`parse_range`] (or every shard when `None`), checked against
    /// `count`. `text` is `SHARDS` as given, for the message.
    pub fn new(range: Option<(u32, u32)>, count: u32, text: &str) -> Result<Self, ShardError> {
        let Some((first, last)) = range else { return Ok(Self::all(count)) };
        if last >= count {
            return Err(ShardError::Beyond { range: text.to_owned(), shard: last.max(count), count, last: count - 1 });
        }
        Ok(Self { first, last, count })
    }

    /// Whether this process runs every shard.
    pub fn is_all(self) -> bool {
        self.first == 0 && self.last + 1 == self.count
    }

    /// Whether this process runs shard 0: the one that registers the commands and receives
    /// the DMs.
    pub fn has_shard_zero(self) -> bool {
        self.first == 0
    }

    /// Whether a guild's events come to this process.
    pub fn has_guild(self, guild: GuildId) -> bool {
        (self.first..=self.last).contains(&shard_of(guild, self.count))
    }

    /// How many shards this process runs.
    pub fn len(self) -> u32 {
        self.last - self.first + 1
    }

    /// Never empty: a range has its first shard.
    pub fn is_empty(self) -> bool {
        false
    }

    /// The range as serenity's `Client::start_shard_range` takes it: it reads `end` as the last
    /// shard, included (it starts `end - start + 1` shards), not as Rust's exclusive end.
    pub fn serenity_range(self) -> Range<u32> {
        self.first..self.last
    }
}

impl fmt::Display for ShardRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "shard {} of {}", self.first, self.count)
        } else {
            write!(f, "shards {}-{} of {}", self.first, self.last, self.count)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guilds_shard_is_its_id_shifted_by_22_bits_modulo_the_count() {
        // Discord's own example: guild 41771983423143937 on shard 0 of 1, and its shard of 2
        // and 5 from the same formula.
        let g = GuildId(41_771_983_423_143_937);
        assert_eq!(shard_of(g, 1), 0);
        assert_eq!(shard_of(g, 5), ((41_771_983_423_143_937u64 >> 22) % 5) as u32);
        assert_eq!(shard_of(GuildId(3 << 22), 2), 1);
        assert_eq!(shard_of(GuildId(4 << 22), 2), 0);
    }

    #[test]
    fn shards_parse_as_one_number_or_an_inclusive_range() {
        assert_eq!(parse_range("0-3"), Ok((0, 3)));
        assert_eq!(parse_range(" 2 - 2 "), Ok((2, 2)));
        assert_eq!(parse_range("5"), Ok((5, 5)));
        assert_eq!(parse_range("3-1"), Err(ShardError::Backwards("3-1".into())));
        for bad in ["", "x", "1-", "-1", "1-2-3", "1..3", "one"] {
            assert_eq!(parse_range(bad), Err(ShardError::BadRange(bad.into())), "{bad}");
        }
        assert_eq!(parse_count("8"), Ok(8));
        for bad in ["0", "-1", "eight", "", "99999"] {
            assert!(parse_count(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_range_beyond_the_count_is_refused_and_names_the_shards_there_are() {
        let e = ShardRange::new(Some((9, 9)), 8, "9").unwrap_err();
        assert_eq!(e.to_string(), "SHARDS=\"9\" names shard 9, but there are 8 shards (0 to 7); check SHARD_COUNT");
        assert!(ShardRange::new(Some((6, 8)), 8, "6-8").is_err());
        assert_eq!(ShardRange::new(Some((6, 7)), 8, "6-7").unwrap().len(), 2);
        assert!(ShardRange::new(None, 8, "").unwrap().is_all());
    }

    #[test]
    fn serenitys_range_ends_at_the_last_shard_which_it_includes() {
        // start_shard_range(a..b, n) starts b - a + 1 shards: SHARDS=0-0 is one shard, 0..0,
        // and 2-3 of 4 is two, 2..3 (a Rust range 2..4 would start three).
        let one = ShardRange::new(Some((0, 0)), 2, "0-0").unwrap();
        assert_eq!(one.serenity_range(), 0..0);
        let r = one.serenity_range();
        assert_eq!(r.end - r.start + 1, one.len());
        let two = ShardRange::new(Some((2, 3)), 4, "2-3").unwrap();
        assert_eq!(two.serenity_range(), 2..3);
        let all = ShardRange::all(4);
        assert_eq!((all.serenity_range(), all.len()), (0..3, 4));
    }

    #[test]
    fn each_guild_belongs_to_exactly_one_of_disjoint_ranges() {
        let (a, b) = (ShardRange::new(Some((0, 0)), 2, "0").unwrap(), ShardRange::new(Some((1, 1)), 2, "1").unwrap());
        for id in (0..200u64).map(|n| GuildId((n << 22) + 12_345)) {
            assert!(a.has_guild(id) != b.has_guild(id), "{id:?}");
            assert!(ShardRange::all(2).has_guild(id));
        }
        assert!(a.has_shard_zero() && !b.has_shard_zero());
        assert_eq!(a.to_string(), "shard 0 of 2");
        assert_eq!(ShardRange::all(4).to_string(), "shards 0-3 of 4");
    }
}
