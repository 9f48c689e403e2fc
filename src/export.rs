//! CSV for the operator's export: RFC 4180 (CRLF line ends, fields quoted when they hold a
//! comma, a quote or a line break, quotes doubled), UTF-8, a header row, columns in the
//! order of the table.
//!
//! The `csv` crate writes it from a serde view of each record ([`CheckinRow`],
//! [`CommitmentRow`]), so the header and the cells come from one derive. Member text that a
//! spreadsheet would run as a formula is neutralised ([`neutralise`]). The JSON export
//! serialises the records themselves and stays exact.
//!
//! Why views rather than `serialize_with` on the records: the records' `Serialize` is also
//! what the JSON export and `/mydata` write, and those must keep raw values and the member's
//! exact text. A view is the CSV's only field list; it destructures its record without `..`,
//! so a column added to a record does not compile until the CSV shows it too.

use std::borrow::Cow;

use csv::{Terminator, WriterBuilder};
use serde::{Serialize, Serializer};

use crate::storage::{rfc3339, CheckinRecord, CommitmentRecord};

/// A record that the export writes as CSV, through a serde view of it.
pub trait CsvRecord {
    /// The record as one CSV row: its serde field names are the header, in order.
    /// `Default` is there for the header of an empty table: the csv crate takes the header
    /// from the first row it serialises, so with no rows it needs a stand-in.
    type Row<'a>: Serialize + Default
    where
        Self: 'a;

    /// The view of this record.
    fn row(&self) -> Self::Row<'_>;
}

/// The characters that make a spreadsheet read a cell as a formula when it starts with one
/// (OWASP, "CSV Injection"): `=`, `+`, `-`, `@`, tab and carriage return.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `text` as a spreadsheet will show it instead of evaluating it: prefixed with `'` when it
/// starts like a formula, unchanged otherwise.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Text a member typed: written through [`neutralise`]. Text the bot writes (kinds,
/// statuses, dates, weeks) never starts like a formula and is written as it is.
#[derive(Clone, Copy, Debug, Default)]
struct MemberText<'a>(&'a str);

impl Serialize for MemberText<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&neutralise(self.0))
    }
}

/// A Discord id: stored as the bit-cast `i64` of the `u64` snowflake, shown as the `u64`.
#[derive(Clone, Copy, Debug, Default)]
struct Snowflake(i64);

impl Serialize for Snowflake {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0 as u64)
    }
}

/// Unix seconds (UTC), shown as RFC 3339 for people reading the file.
#[derive(Clone, Copy, Debug, Default)]
struct Rfc3339(i64);

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339(self.0))
    }
}

/// A [`CheckinRecord`] as a CSV row, columns in table order; `None` is an empty cell.
#[derive(Debug, Default, Serialize)]
pub struct CheckinRow<'a> {
    id: i64,
    guild_id: Snowflake,
    team_id: i64,
    user_id: Snowflake,
    kind: &'a str,
    local_date: &'a str,
    iso_week: &'a str,
    rating: Option<i64>,
    outcome: Option<&'a str>,
    went_well: Option<MemberText<'a>>,
    improve: Option<MemberText<'a>>,
    blocker: Option<MemberText<'a>>,
    partner_id: Option<Snowflake>,
    created_at: Rfc3339,
    updated_at: Rfc3339,
}

impl CsvRecord for CheckinRecord {
    type Row<'a> = CheckinRow<'a>;

    fn row(&self) -> CheckinRow<'_> {
        let CheckinRecord {
            id,
            guild_id,
            team_id,
            user_id,
            kind,
            local_date,
            iso_week,
            rating,
            outcome,
            went_well,
            improve,
            blocker,
            partner_id,
            created_at,
            updated_at,
        } = self;
        CheckinRow {
            id: *id,
            guild_id: Snowflake(*guild_id),
            team_id: *team_id,
            user_id: Snowflake(*user_id),
            kind,
            local_date,
            iso_week,
            rating: *rating,
            outcome: outcome.as_deref(),
            went_well: went_well.as_deref().map(MemberText),
            improve: improve.as_deref().map(MemberText),
            blocker: blocker.as_deref().map(MemberText),
            partner_id: partner_id.map(Snowflake),
            created_at: Rfc3339(*created_at),
            updated_at: Rfc3339(*updated_at),
        }
    }
}

/// A [`CommitmentRecord`] as a CSV row, columns in table order; `None` is an empty cell.
#[derive(Debug, Default, Serialize)]
pub struct CommitmentRow<'a> {
    id: i64,
    guild_id: Snowflake,
    team_id: i64,
    user_id: Snowflake,
    text: MemberText<'a>,
    due_date: &'a str,
    partner_id: Option<Snowflake>,
    status: &'a str,
    created_week: &'a str,
    resolved_week: Option<&'a str>,
    created_at: Rfc3339,
    resolved_at: Option<Rfc3339>,
}

impl CsvRecord for CommitmentRecord {
    type Row<'a> = CommitmentRow<'a>;

    fn row(&self) -> CommitmentRow<'_> {
        let CommitmentRecord {
            id,
            guild_id,
            team_id,
            user_id,
            text,
            due_date,
            partner_id,
            status,
            created_week,
            resolved_week,
            created_at,
            resolved_at,
        } = self;
        CommitmentRow {
            id: *id,
            guild_id: Snowflake(*guild_id),
            team_id: *team_id,
            user_id: Snowflake(*user_id),
            text: MemberText(text),
            due_date,
            partner_id: partner_id.map(Snowflake),
            status,
            created_week,
            resolved_week: resolved_week.as_deref(),
            created_at: Rfc3339(*created_at),
            resolved_at: resolved_at.map(Rfc3339),
        }
    }
}

/// A [`PartnerViewRecord`] as a CSV row.
#[derive(Debug, Default, Serialize)]
pub struct PartnerViewRow<'a> {
    commitment_id: i64,
    team_id: i64,
    user_id: Snowflake,
    partner_id: Snowflake,
    agreement: Option<&'a str>,
    agreed_at: Option<Rfc3339>,
    verdict: Option<&'a str>,
    verdict_at: Option<Rfc3339>,
    unreachable: Option<&'a str>,
}

impl CsvRecord for crate::storage::PartnerViewRecord {
    type Row<'a> = PartnerViewRow<'a>;

    fn row(&self) -> PartnerViewRow<'_> {
        PartnerViewRow {
            commitment_id: self.commitment_id,
            team_id: self.team_id,
            user_id: Snowflake(self.user_id),
            partner_id: Snowflake(self.partner_id),
            agreement: self.agreement.as_deref(),
            agreed_at: self.agreed_at.map(Rfc3339),
            verdict: self.verdict.as_deref(),
            verdict_at: self.verdict_at.map(Rfc3339),
            unreachable: self.unreachable.as_deref(),
        }
    }
}

/// A [`crate::storage::ThanksRecord`] as a CSV row (the note neutralised like every member text).
#[derive(Debug, Default, Serialize)]
pub struct ThanksRow<'a> {
    id: i64,
    team_id: i64,
    from_id: Snowflake,
    to_id: Option<Snowflake>,
    note: MemberText<'a>,
    principle: Option<i64>,
    created_at: Rfc3339,
}

impl CsvRecord for crate::storage::ThanksRecord {
    type Row<'a> = ThanksRow<'a>;

    fn row(&self) -> ThanksRow<'_> {
        ThanksRow {
            id: self.id,
            team_id: self.team_id,
            from_id: Snowflake(self.from_id),
            to_id: self.to_id.map(Snowflake),
            note: MemberText(&self.note),
            principle: self.principle,
            created_at: Rfc3339(self.created_at),
        }
    }
}

/// A [`crate::storage::CharterRecord`] as a CSV row.
#[derive(Debug, Default, Serialize)]
pub struct CharterRow<'a> {
    id: i64,
    team_id: i64,
    kind: &'a str,
    text: MemberText<'a>,
    author_id: Option<Snowflake>,
    status: &'a str,
    proposed_at: Rfc3339,
    expires_at: Rfc3339,
    adopted_at: Option<Rfc3339>,
    adopted_by: Option<&'a str>,
    review_on: Option<&'a str>,
    retired_at: Option<Rfc3339>,
}

impl CsvRecord for crate::storage::CharterRecord {
    type Row<'a> = CharterRow<'a>;

    fn row(&self) -> CharterRow<'_> {
        CharterRow {
            id: self.id,
            team_id: self.team_id,
            kind: &self.kind,
            text: MemberText(&self.text),
            author_id: self.author_id.map(Snowflake),
            status: &self.status,
            proposed_at: Rfc3339(self.proposed_at),
            expires_at: Rfc3339(self.expires_at),
            adopted_at: self.adopted_at.map(Rfc3339),
            adopted_by: self.adopted_by.as_deref(),
            review_on: self.review_on.as_deref(),
            retired_at: self.retired_at.map(Rfc3339),
        }
    }
}

/// Writes records as CSV, header first (a header alone when there are none).
pub fn csv<R: CsvRecord>(records: &[R]) -> csv::Result<String> {
    let mut w = WriterBuilder::new().terminator(Terminator::CRLF).from_writer(Vec::new());
    for r in records {
        w.serialize(r.row())?;
    }
    if records.is_empty() {
        w.serialize(R::Row::default())?;
    }
    let mut bytes = w.into_inner().map_err(|e| e.into_error())?;
    if records.is_empty() {
        // Keep the header only. The stand-in row's cells are empty, numbers or dates, never
        // quoted, so the first CRLF ends the header.
        let end = bytes.windows(2).position(|p| p == b"\r\n").map_or(bytes.len(), |i| i + 2);
        bytes.truncate(end);
    }
    Ok(String::from_utf8(bytes).expect("CSV written from UTF-8 strings is UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{CHECKIN_COLUMNS, COMMITMENT_COLUMNS};

    fn commitment(text: &str) -> CommitmentRecord {
        CommitmentRecord {
            id: 1,
            guild_id: 2,
            team_id: 0,
            user_id: 3,
            text: text.into(),
            due_date: "2026-12-04".into(),
            partner_id: None,
            status: "open".into(),
            created_week: "2026-W48".into(),
            resolved_week: None,
            created_at: 0,
            resolved_at: None,
        }
    }

    fn checkin(went_well: &str) -> CheckinRecord {
        CheckinRecord {
            id: 7,
            guild_id: -1,
            team_id: 0,
            user_id: 3,
            kind: "communication".into(),
            local_date: "2026-11-27".into(),
            iso_week: "2026-W48".into(),
            rating: Some(4),
            outcome: None,
            went_well: Some(went_well.into()),
            improve: None,
            blocker: None,
            partner_id: Some(5),
            created_at: 0,
            updated_at: 60,
        }
    }

    /// The cell of `column` in the first data row, as a CSV reader sees it.
    fn cell<R: CsvRecord>(record: R, column: &str) -> String {
        let out = csv(&[record]).unwrap();
        let mut r = csv::Reader::from_reader(out.as_bytes());
        let at = r.headers().unwrap().iter().position(|h| h == column).unwrap();
        r.records().next().unwrap().unwrap()[at].to_owned()
    }

    /// The header the csv crate derives from a value's own serde field names.
    fn serde_header<T: Serialize>(value: T) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(value).unwrap();
        let out = String::from_utf8(w.into_inner().unwrap()).unwrap();
        out.lines().next().unwrap().to_owned()
    }

    #[test]
    fn fields_with_commas_quotes_and_newlines_are_quoted_per_rfc_4180() {
        let out = csv(&[commitment("plain"), commitment("a, \"quoted\"\nline")]).unwrap();
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "id,guild_id,team_id,user_id,text,due_date,partner_id,status,created_week,resolved_week,created_at,resolved_at"
        );
        assert_eq!(lines[1], "1,2,0,3,plain,2026-12-04,,open,2026-W48,,1970-01-01T00:00:00+00:00,");
        assert!(out.contains("\"a, \"\"quoted\"\"\nline\""), "{out}");
        assert!(out.ends_with("\r\n"));
    }

    #[test]
    fn the_header_is_the_serde_field_names_in_table_order() {
        let (c, k) = (commitment("x"), checkin("x"));
        assert_eq!(serde_header(c.row()), serde_header(&c), "the view names the record's fields");
        assert_eq!(serde_header(k.row()), serde_header(&k));
        assert_eq!(serde_header(c.row()), COMMITMENT_COLUMNS.join(","), "in the table's order");
        assert_eq!(serde_header(k.row()), CHECKIN_COLUMNS.join(","));
        assert!(csv(&[k]).unwrap().starts_with(&(CHECKIN_COLUMNS.join(",") + "\r\n")));
    }

    #[test]
    fn no_rows_is_a_header_only() {
        assert_eq!(csv::<CommitmentRecord>(&[]).unwrap(), COMMITMENT_COLUMNS.join(",") + "\r\n");
        assert_eq!(csv::<CheckinRecord>(&[]).unwrap(), CHECKIN_COLUMNS.join(",") + "\r\n");
    }

    #[test]
    fn ids_are_unsigned_times_rfc_3339_and_null_empty() {
        let line = csv(&[checkin("fine")]).unwrap().split("\r\n").nth(1).unwrap().to_owned();
        assert_eq!(
            line,
            "7,18446744073709551615,0,3,communication,2026-11-27,2026-W48,4,,fine,,,5,1970-01-01T00:00:00+00:00,1970-01-01T00:01:00+00:00"
        );
    }

    #[test]
    fn each_formula_start_is_neutralised_with_a_quote() {
        for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\",\"y\")"] {
            assert_eq!(neutralise(text), format!("'{text}"));
            assert_eq!(cell(commitment(text), "text"), format!("'{text}"), "commitment text");
            assert_eq!(cell(checkin(text), "went_well"), format!("'{text}"), "check-in note");
        }
    }

    #[test]
    fn a_formula_character_after_the_start_is_left_alone() {
        for text in ["a=b", "1+1", "x-y", "me@example.org", " =1", "a\tb"] {
            assert_eq!(neutralise(text), text);
            assert_eq!(cell(commitment(text), "text"), text);
        }
    }

    #[test]
    fn json_keeps_the_exact_text_and_values() {
        let c = commitment("=HYPERLINK(\"http://x\",\"y\")");
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["text"], "=HYPERLINK(\"http://x\",\"y\")");
        assert_eq!(v["guild_id"], 2);
        assert_eq!(v["created_at"], 0);
        let k = serde_json::to_value(checkin("@SUM(A1)")).unwrap();
        assert_eq!(k["went_well"], "@SUM(A1)");
        assert_eq!(k["guild_id"], -1, "the raw stored value");
    }
}
