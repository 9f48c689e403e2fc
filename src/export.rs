//! CSV for the operator's export: RFC 4180 (CRLF line ends, fields quoted when they hold a
//! comma, a quote or a line break, quotes doubled), UTF-8, header row from the field names.

use serde::Serialize;
use serde_json::Value;

/// Serialises rows of one struct type as CSV.
pub fn csv<T: Serialize>(rows: &[T]) -> serde_json::Result<String> {
    let mut out = String::new();
    let mut header: Option<Vec<String>> = None;
    for row in rows {
        let Value::Object(map) = serde_json::to_value(row)? else { continue };
        let names = header.get_or_insert_with(|| {
            let names: Vec<String> = map.keys().cloned().collect();
            out.push_str(&names.iter().map(|n| field(n)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
            names
        });
        let line: Vec<String> = names
            .iter()
            .map(|n| match map.get(n) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => field(s),
                Some(v) => field(&v.to_string()),
            })
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    Ok(out)
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

    #[derive(Serialize)]
    struct Row {
        id: i64,
        text: String,
        note: Option<String>,
    }

    #[test]
    fn fields_with_commas_quotes_and_newlines_are_quoted_per_rfc_4180() {
        let rows = vec![
            Row { id: 1, text: "plain".into(), note: None },
            Row { id: 2, text: "a, \"quoted\"\nline".into(), note: Some("Giao tiếp".into()) },
        ];
        assert_eq!(csv(&rows).unwrap(), "id,text,note\r\n1,plain,\r\n2,\"a, \"\"quoted\"\"\nline\",Giao tiếp\r\n");
    }

    #[test]
    fn no_rows_is_an_empty_file() {
        assert_eq!(csv::<Row>(&[]).unwrap(), "");
    }
}
