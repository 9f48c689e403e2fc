//! CSV for the operator's export: RFC 4180 (CRLF line ends, fields quoted when they hold a
//! comma, a quote or a line break, quotes doubled), UTF-8, a header row, columns in the
//! order of the table.

use crate::storage::{CheckinRecord, CommitmentRecord};

/// A row that can be written as CSV.
pub trait CsvRow {
    /// Column names.
    const HEADER: &'static [&'static str];
    /// The row's fields, in header order (empty for NULL).
    fn fields(&self) -> Vec<String>;
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

impl CsvRow for CheckinRecord {
    const HEADER: &'static [&'static str] = crate::storage::CHECKIN_COLUMNS;
    fn fields(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            (self.guild_id as u64).to_string(),
            (self.user_id as u64).to_string(),
            self.kind.clone(),
            self.local_date.clone(),
            self.iso_week.clone(),
            opt(&self.rating),
            opt(&self.outcome),
            opt(&self.went_well),
            opt(&self.improve),
            opt(&self.blocker),
            opt(&self.partner_id.map(|p| p as u64)),
            crate::storage::rfc3339(self.created_at),
            crate::storage::rfc3339(self.updated_at),
        ]
    }
}

impl CsvRow for CommitmentRecord {
    const HEADER: &'static [&'static str] = crate::storage::COMMITMENT_COLUMNS;
    fn fields(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            (self.guild_id as u64).to_string(),
            (self.user_id as u64).to_string(),
            self.text.clone(),
            self.due_date.clone(),
            opt(&self.partner_id.map(|p| p as u64)),
            self.status.clone(),
            self.created_week.clone(),
            opt(&self.resolved_week),
            crate::storage::rfc3339(self.created_at),
            opt(&self.resolved_at.map(crate::storage::rfc3339)),
        ]
    }
}

/// Writes rows as CSV, header first.
pub fn csv<T: CsvRow>(rows: &[T]) -> String {
    let mut out = line(T::HEADER.iter().map(|h| h.to_string()));
    for r in rows {
        out.push_str(&line(r.fields().into_iter()));
    }
    out
}

fn line(fields: impl Iterator<Item = String>) -> String {
    let mut l = fields.map(|f| field(&f)).collect::<Vec<_>>().join(",");
    l.push_str("\r\n");
    l
}

/// One field, quoted when it must be.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(text: &str) -> CommitmentRecord {
        CommitmentRecord {
            id: 1,
            guild_id: 2,
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

    #[test]
    fn fields_with_commas_quotes_and_newlines_are_quoted_per_rfc_4180() {
        let out = csv(&[row("plain"), row("a, \"quoted\"\nline")]);
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(lines[0], "id,guild_id,user_id,text,due_date,partner_id,status,created_week,resolved_week,created_at,resolved_at");
        assert_eq!(lines[1], "1,2,3,plain,2026-12-04,,open,2026-W48,,1970-01-01T00:00:00+00:00,");
        assert!(out.contains("\"a, \"\"quoted\"\"\nline\""));
        assert!(out.ends_with("\r\n"));
    }

    #[test]
    fn no_rows_is_a_header_only() {
        assert_eq!(csv::<CommitmentRecord>(&[]).lines().count(), 1);
    }
}
